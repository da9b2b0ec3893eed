// The device benchmark behind `cargo xtask bench device` (issue 7): what a person
// notices on a tablet (768x1024, headless Chromium) of a dealer with 10,000 leads,
// at full speed and with the CPU throttled 4x (DevTools' Emulation.setCPUThrottlingRate).
//
// The real server (release) on a fresh SQLite database with the demo dealers; a
// seeding device (`device-seed`, signed in as sales1 through the API) pushes the
// leads over the sync WebSocket and later makes live edits; the measured device
// signs in as the manager through the UI and is timed from inside the page
// (performance.now(), PerformanceObserver, MutationObserver), so Playwright's own
// polling never counts.
//
// Environment (set by `cargo xtask bench device`):
//   SHOWROOM_SERVER_BIN       the server binary
//   SHOWROOM_DIST             the built PWA
//   SHOWROOM_DEVICE_SEED_BIN  the seeding device (target/release/device-seed)
//   CHROMIUM                  the browser (default /usr/bin/chromium)
// Flags: --leads N (10000) --rates 1,4 --edits 100 --interval 50 --profile DIR
//        --soak-edits 1000 --soak-searches 100 --no-soak --json PATH
//
// By hand, after `cargo xtask build`, `cargo build --release -p showroom-server` and
// `cargo build --release -p showroom-tests --bin device-seed`:
//   SHOWROOM_SERVER_BIN=target/release/showroom-server \
//   SHOWROOM_DEVICE_SEED_BIN=target/release/device-seed node tests/bench/device.mjs

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import {
  ROOT,
  PASSWORD,
  apiLogin,
  launchBrowser,
  startSeedingDevice,
  startServer,
  waitForServiceWorkerControl,
} from '../e2e/harness.mjs';

// ---------------------------------------------------------------------------
// Settings

const { values: flags } = parseArgs({
  options: {
    leads: { type: 'string', default: '10000' },
    rates: { type: 'string', default: '1,4' },
    edits: { type: 'string', default: '100' },
    interval: { type: 'string', default: '50' },
    'soak-edits': { type: 'string', default: '1000' },
    'soak-interval': { type: 'string', default: '20' },
    'soak-searches': { type: 'string', default: '100' },
    'no-soak': { type: 'boolean', default: false },
    profile: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'node tests/bench/device.mjs [--leads 10000] [--rates 1,4] [--edits 100] [--interval 50]\n' +
      '  [--soak-edits 1000] [--soak-interval 20] [--soak-searches 100] [--no-soak] [--json PATH] [--profile DIR]',
  );
  process.exit(0);
}
const int = (name) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${flags[name]}`);
  return n;
};
const LEADS = int('leads');
const RATES = flags.rates.split(',').map((r) => {
  const n = Number(r);
  if (!(n >= 1)) throw new Error(`--rates: ${r} is not a throttling rate (1 = full speed)`);
  return n;
});
const EDITS = int('edits');
const INTERVAL = int('interval');
const SOAK_EDITS = flags['no-soak'] ? 0 : int('soak-edits');
const SOAK_INTERVAL = int('soak-interval');
const SOAK_SEARCHES = flags['no-soak'] ? 0 : int('soak-searches');
/** The leads the seeder gives the earliest follow-up date: the list's first page, the ones it edits. */
const HOT = 100;
/** 16 characters; about 1 in 100 seeded names match it ("Zhang Xiaoming 01234"). */
const SEARCH = 'Zhang Xiaoming 0';
const SEED_BIN =
  process.env.SHOWROOM_DEVICE_SEED_BIN || path.join(ROOT, 'target', 'release', 'device-seed');
const VIEWPORT = { width: 768, height: 1024 };
/** The list's count text when it shows every lead: "Showing 100 of 10000" (or "10,000"; "共 10000 条"). */
const FULL = `(of|共)\\s*(${[...new Set([String(LEADS), LEADS.toLocaleString('en-US')])].join('|')})(\\D|$)`;

/** Long waits: 10,000 leads on a busy 2-core machine at 4x throttling take minutes. */
const LONG = 900_000;
const MEDIUM = 120_000;

// ---------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];
const MiB = (b) => b / (1024 * 1024);

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function ms(v) {
  if (v == null || Number.isNaN(v)) return '—';
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.round(v)} ms`;
}

/** Runs one step; its error says which step failed. */
async function step(name, fn) {
  const started = Date.now();
  process.stderr.write(`  · ${name}…\n`);
  try {
    const r = await fn();
    process.stderr.write(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return r;
  } catch (e) {
    const err = new Error(`step "${name}" failed: ${e?.message ?? e}`);
    err.stack = `${err.message}\n${e?.stack ?? ''}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------
// The seeding device (tests/src/bin/device_seed.rs): one command a line, one answer a line.

function startSeeder(opts) {
  return startSeedingDevice({ ...opts, bin: SEED_BIN, timeout: LONG });
}

// ---------------------------------------------------------------------------
// What runs in the page before the app (context.addInitScript): the observers the
// figures are read from. Everything is in window.__bench; times are performance.now().

function benchInit({ total }) {
  const B = (window.__bench = {
    t: {},
    longtasks: [],
    events: [],
    receiving: [],
    counts: [],
    listStates: [],
    mark: null,
    lastDown: null,
    watch: null,
    live: null,
    wasmMemory: null,
    autoLeads: true,
    watchReceiving: true,
  });
  const now = () => performance.now();
  const totals = [...new Set([String(total), total.toLocaleString('en-US')])];
  const completeRe = new RegExp(`(of|共)\\s*(${totals.join('|')})(\\D|$)`);

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push({ start: e.startTime, dur: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        B.events.push({ name: e.name, start: e.startTime, dur: e.duration, id: e.interactionId || 0 });
      }
    }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  } catch {}

  // The wasm instance's memory.
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const orig = WebAssembly[name];
    if (typeof orig !== 'function') continue;
    WebAssembly[name] = function (...args) {
      return orig.apply(this, args).then((r) => {
        const instance = r instanceof WebAssembly.Instance ? r : r?.instance;
        const memory = instance?.exports?.memory;
        if (memory instanceof WebAssembly.Memory && !B.wasmMemory) B.wasmMemory = memory;
        return r;
      });
    };
  }

  // Markers of the live edits in what the sync socket receives (before the app's handler runs).
  const latin1 = new TextDecoder('latin1');
  const scanBytes = (buf, at) => {
    const live = B.live;
    if (!live) return;
    const text = latin1.decode(buf);
    if (!text.includes(live.tag)) return;
    for (const m of text.matchAll(live.re)) {
      const j = Number(m[1]);
      if (!(j in live.arrived)) live.arrived[j] = at;
    }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = new Proxy(NativeWebSocket, {
    construct(target, args, newTarget) {
      const ws = Reflect.construct(target, args, newTarget);
      ws.addEventListener('message', (ev) => {
        if (!B.live) return;
        const at = now();
        const d = ev.data;
        if (d instanceof ArrayBuffer) scanBytes(d, at);
        else if (ArrayBuffer.isView(d)) scanBytes(d, at);
        else if (d instanceof Blob) d.arrayBuffer().then((b) => scanBytes(b, at));
        else if (typeof d === 'string') scanBytes(new TextEncoder().encode(d), at);
      });
      return ws;
    },
  });

  document.addEventListener(
    'pointerdown',
    (e) => {
      B.lastDown = e.timeStamp;
      if (B.mark) {
        B.t[B.mark] = e.timeStamp;
        B.mark = null;
      }
    },
    true,
  );

  const receivingText = () => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (/Receiving/i.test(n.data)) {
        const el = n.parentElement;
        found.push((el?.textContent ?? n.data).replace(/\s+/g, ' ').trim().slice(0, 120));
      }
    }
    return found;
  };

  const onMutations = () => {
    const at = now();
    // Right after sign-in the app shows Today: go to the list as a person would, at once.
    if (B.autoLeads && location.pathname === '/') {
      const link = document.querySelector('nav a[href="/leads"]');
      if (link) {
        B.autoLeads = false;
        B.t.leadsClick = at;
        link.click();
      }
    }
    if (B.t.firstRow == null && document.querySelector('.lead-row')) B.t.firstRow = at;
    const count = document.querySelector('.lead-list__count');
    if (count) {
      const text = count.textContent.trim();
      if (B.counts.length === 0 || B.counts[B.counts.length - 1].text !== text) {
        if (B.counts.length < 400) B.counts.push({ at, text });
      }
      if (B.t.complete == null && completeRe.test(text)) B.t.complete = at;
    }
    // What the list shows while the first sync runs.
    if (B.watchReceiving) {
      const list = document.querySelector('.lead-list');
      if (list) {
        const rows = list.querySelectorAll('.lead-row').length;
        const say = (el) => el?.textContent.replace(/\s+/g, ' ').trim().slice(0, 80);
        const state = rows
          ? `${rows} rows${count ? `, "${say(count)}"` : ''}`
          : `"${say(list.querySelector('.empty-state')) || say(list.querySelector(':scope > p.muted')) || 'nothing'}"`;
        const last = B.listStates[B.listStates.length - 1];
        if ((!last || last.state !== state) && B.listStates.length < 400) B.listStates.push({ at, state });
      }
    }
    if (B.watchReceiving && document.body && document.body.textContent.includes('Receiving')) {
      for (const text of receivingText()) {
        const last = B.receiving[B.receiving.length - 1];
        if (!last || last.text !== text) {
          if (B.receiving.length < 200) B.receiving.push({ at, text });
        }
      }
    }
    const live = B.live;
    if (live) {
      const list = document.querySelector('.lead-list');
      const text = list ? list.textContent : '';
      if (text.includes(live.tag)) {
        for (const m of text.matchAll(live.re)) {
          const j = Number(m[1]);
          if (!(j in live.shown)) live.shown[j] = at;
        }
      }
    }
    const w = B.watch;
    if (w && w.at == null) {
      let ok = false;
      try {
        ok = w.check();
      } catch {}
      if (ok) {
        w.at = at;
        requestAnimationFrame(() => setTimeout(() => (w.painted = now()), 0));
      }
    }
  };
  new MutationObserver(onMutations).observe(document, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: false,
  });
}

// ---------------------------------------------------------------------------
// In-page readings

async function memory(page, cdp) {
  // What the benchmark itself recorded so far (finished live edits, Event
  // Timing and long-task entries) is not the app's: dropped before each reading.
  await page.evaluate(() => {
    const B = window.__bench;
    if (!B) return;
    B.live = null;
    B.events.length = 0;
    B.longtasks.length = 0;
  });
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const wasm = await page.evaluate(() => window.__bench.wasmMemory?.buffer.byteLength ?? null);
  return { jsHeap: heap.usedSize, wasm };
}

function longTasksIn(tasks, from, to) {
  const inside = tasks.filter((t) => t.start + t.dur >= from && t.start <= to);
  return {
    count: inside.length,
    max: inside.reduce((m, t) => Math.max(m, t.dur), 0),
    total: inside.reduce((s, t) => s + t.dur, 0),
  };
}

/** The worst duration of each interaction in `events` (Event Timing entries), in order. */
function interactions(events, from, to) {
  const by = new Map();
  for (const e of events) {
    if (!e.id || e.start < from || e.start > to) continue;
    by.set(e.id, Math.max(by.get(e.id) ?? 0, e.dur));
  }
  return [...by.values()];
}

const bench = (page, fn, arg) => page.evaluate(fn, arg);

async function waitInPage(page, fn, arg, what, timeout) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 250 });
  } catch (e) {
    throw new Error(`${what} did not happen within ${timeout / 1000} s: ${firstLine(e)}`);
  }
}

const countText = (page) =>
  bench(page, () => document.querySelector('.lead-list__count')?.textContent.trim() ?? null);

/** Clicks `locator` and times pointerdown → the watch's check holding (DOM) and the frame after it. */
async function clickAndTime(page, locator, check, arg, what) {
  await page.evaluate(
    ({ src, arg }) => {
      // eslint-disable-next-line no-new-func
      const fn = new Function('arg', `return (${src})(arg);`);
      window.__bench.watch = { check: () => fn(arg), at: null, painted: null };
      window.__bench.lastDown = null;
    },
    { src: check.toString(), arg },
  );
  await locator.click({ timeout: MEDIUM });
  await waitInPage(page, () => window.__bench.watch?.painted != null, null, what, MEDIUM);
  const r = await bench(page, () => {
    const B = window.__bench;
    const w = B.watch;
    B.watch = null;
    return { down: B.lastDown, dom: w.at, painted: w.painted };
  });
  if (r.down == null) throw new Error(`no pointerdown was seen for ${what}`);
  return { dom: r.dom - r.down, painted: r.painted - r.down, down: r.down };
}

// ---------------------------------------------------------------------------
// One device at one throttling rate

async function measureRate({ browser, server, seeder, tag, rate, edits, soak, figures, errors }) {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US', serviceWorkers: 'allow' });
  context.setDefaultTimeout(MEDIUM);
  await context.addInitScript(benchInit, { total: LEADS });
  const consoleLog = [];
  let page = null;
  let cdp = null;
  let crashed = false;
  const openPage = async () => {
    page = await context.newPage();
    crashed = false;
    page.on('console', (m) => {
      const text = m.text();
      // Offline, failing requests and socket connections are expected.
      if (/ERR_INTERNET_DISCONNECTED/.test(text)) return;
      if (m.type() === 'error' || m.type() === 'warning') consoleLog.push(`[console.${m.type()}] ${text}`);
    });
    page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.message}`));
    page.on('crash', () => {
      crashed = true;
      consoleLog.push('[crash] the page crashed');
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  };
  await openPage();
  const f = figures;
  const soft = async (name, fn) => {
    try {
      await step(name, fn);
    } catch (e) {
      errors.push(`${rate}x: ${e.message}`);
      process.stderr.write(`    FAILED: ${e.message}\n`);
    }
  };
  try {
    f.cpuCheck = await page.evaluate(cpuLoop).catch(() => null);

    // a/b. Sign in as the manager; the list fills as the sync brings 10,000 leads.
    await step('sign in as the manager and wait for the full list', async () => {
      await page.goto(`${server.url}/login`, { timeout: MEDIUM });
      await page.getByLabel('Username', { exact: true }).fill('manager');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      f.cpuCheck = (await page.evaluate(cpuLoop)) ?? f.cpuCheck;
      await bench(page, () => (window.__bench.mark = 'signIn'));
      const response = page.waitForResponse(
        (r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST',
        { timeout: MEDIUM },
      );
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      const r = await response;
      if (r.status() !== 200) throw new Error(`the login answered ${r.status()}`);
      await waitInPage(page, () => window.__bench.t.complete != null, null, `the list showing ${LEADS} leads`, LONG);
      const t = await bench(page, () => window.__bench.t);
      if (t.signIn == null) throw new Error('no pointerdown on the sign-in button was seen');
      f.signInToFirstRows = t.firstRow - t.signIn;
      f.signInToComplete = t.complete - t.signIn;
      // Wait for the sync to settle before anything else is measured.
      await waitInPage(
        page,
        () => /^\s*Synced\s*$/.test(document.querySelector('[role="status"][aria-label="Sync"]')?.textContent ?? ''),
        null,
        'the sync pill saying "Synced"',
        LONG,
      );
      const B = await bench(page, () => {
        const B = window.__bench;
        B.watchReceiving = false;
        return {
          t: B.t,
          longtasks: B.longtasks,
          receiving: B.receiving,
          counts: B.counts,
          listStates: B.listStates,
          now: performance.now(),
        };
      });
      f.syncedAfterSignIn = B.now - t.signIn;
      f.syncLongTasks = longTasksIn(B.longtasks, t.signIn, t.complete);
      f.receiving = B.receiving.map((x) => ({ at: Math.round(x.at - t.signIn), text: x.text }));
      f.countTexts = B.counts.map((x) => ({ at: Math.round(x.at - t.signIn), text: x.text }));
      f.listStates = B.listStates.map((x) => ({ at: Math.round(x.at - t.signIn), state: x.state }));
    });

    // d. Memory before live updates.
    await soft('memory before live updates', async () => {
      await sleep(1000);
      f.memBefore = await memory(page, cdp);
    });

    // c. Live updates while the list is shown.
    await soft(`${edits.count} live edits ${edits.interval} ms apart`, async () => {
      f.live = await profiled(cdp, `${rate}x-live-edits`, () =>
        liveEdits(page, seeder, tag, edits.count, edits.interval, edits.next()));
    });
    await soft('memory after live updates', async () => {
      await sleep(1000);
      f.memAfterLive = await memory(page, cdp);
    });

    // e. A 16-character search, typed.
    await soft(`typing the search "${SEARCH}"`, async () => {
      f.search = await profiled(cdp, `${rate}x-search`, () => typeSearch(page));
    });

    // f. A grade chip toggled on and off three times.
    await soft('grade chip toggles', async () => {
      f.chip = await profiled(cdp, `${rate}x-chip`, () => chipToggles(page));
    });

    // g. Open a lead from the list, five times.
    await soft('open a lead (5 times)', async () => {
      f.open = await profiled(cdp, `${rate}x-open-lead`, () => openLeads(page));
    });

    // d. Memory after a soak of live updates and searches (full speed only).
    if (soak && (SOAK_EDITS > 0 || SOAK_SEARCHES > 0)) {
      await soft(`soak: ${SOAK_EDITS} live edits, ${SOAK_SEARCHES} searches`, async () => {
        f.soak = { edits: SOAK_EDITS, searches: SOAK_SEARCHES };
        if (SOAK_EDITS > 0) {
          const start = edits.next(SOAK_EDITS);
          const live = await liveEdits(page, seeder, tag, SOAK_EDITS, SOAK_INTERVAL, start, { finalOnly: true });
          f.soak.lastAckToShown = live.lastAckToAllShown;
        }
        for (let i = 0; i < SOAK_SEARCHES; i++) await searchOnce(page, i);
        await sleep(1000);
        f.memAfterSoak = await memory(page, cdp);
      });
    }

    // h. Offline reload → the full list from the device alone.
    await soft('offline reload (3 times)', async () => {
      if (crashed) {
        // The soak can take the old app past what a tab may hold: go on in a new tab of the device.
        f.crashedBeforeReload = true;
        await page.close().catch(() => {});
        await openPage();
        await page.goto(`${server.url}/leads`, { timeout: MEDIUM });
      }
      f.offline = await offlineReloads(page, context);
      f.cpuCheckAfterReload = await page.evaluate(cpuLoop).catch(() => null);
    });
  } catch (e) {
    errors.push(`${rate}x: ${e.message}`);
    process.stderr.write(`    FAILED: ${e.message}\n`);
  } finally {
    if (consoleLog.length) f.console = consoleLog.slice(-30);
    await cdp?.send('Emulation.setCPUThrottlingRate', { rate: 1 }).catch(() => {});
    await context.close().catch(() => {});
  }
}

/**
 * Runs `fn`; with `--profile DIR`, under the DevTools CPU profiler: the
 * profile goes to DIR/<name>.cpuprofile (DevTools opens it) and the functions
 * that took the most time of their own are printed.
 */
async function profiled(cdp, name, fn) {
  if (!flags.profile) return fn();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
  await cdp.send('Performance.enable');
  const metrics = async () =>
    Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metrics();
  await cdp.send('Profiler.start');
  let result;
  try {
    result = await fn();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    const after = await metrics();
    await writeFile(path.join(flags.profile, `${name}.cpuprofile`), JSON.stringify(profile));
    printProfile(name, profile);
    // Where the main thread's time went, as the renderer counts it (the
    // profiler's "(program)" is mostly style, layout and paint).
    const d = (k) => after[k] - before[k];
    process.stdout.write(
      `  renderer: task ${(1000 * d('TaskDuration')).toFixed(0)} ms = script ${(1000 * d('ScriptDuration')).toFixed(0)} ms` +
        ` + style ${(1000 * d('RecalcStyleDuration')).toFixed(0)} ms (${d('RecalcStyleCount')} times)` +
        ` + layout ${(1000 * d('LayoutDuration')).toFixed(0)} ms (${d('LayoutCount')} times) + other\n`,
    );
  }
  return result;
}

/** The 25 functions with the most self time in a CPU profile, with their share. */
function printProfile(name, profile) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const ms = (dt[i] ?? 0) / 1000;
    total += ms;
    const f = node.callFrame;
    const key = f.functionName || `(anonymous ${path.basename(f.url)}:${f.lineNumber})`;
    self.set(key, (self.get(key) ?? 0) + ms);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stdout.write(`\nprofile ${name}: ${total.toFixed(0)} ms sampled\n`);
  for (const [fn, ms] of top) {
    process.stdout.write(`  ${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${fn.slice(0, 140)}\n`);
  }
}

/** A fixed piece of JS work, to see that the throttling is in effect (ms). */
function cpuLoop() {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 5_000_000; i++) x = (x * 31 + i) % 1_000_003;
  window.__cpuSink = x;
  return performance.now() - t0;
}

async function liveEdits(page, seeder, tag, k, interval, start, { finalOnly = false } = {}) {
  // The rows to be edited must be on screen: the seeder's first HOT leads are the first page.
  const shown = await bench(page, () => document.querySelectorAll('.lead-row').length);
  if (shown < Math.min(HOT, k)) throw new Error(`only ${shown} rows are shown, ${Math.min(HOT, k)} needed`);
  const origin = await bench(
    page,
    ({ tag, start }) => {
      window.__bench.live = { tag, re: new RegExp(`Edited-(\\d+)-${tag}`, 'g'), arrived: {}, shown: {}, start };
      return performance.timeOrigin;
    },
    { tag, start },
  );
  const answer = await seeder.command(`edit ${k} ${interval} ${start}`);
  const m = /^edited (\d+) ([\d.]+) ([\d.,]+)$/.exec(answer);
  if (!m || Number(m[1]) !== k) throw new Error(`device-seed answered "${answer.slice(0, 200)}"`);
  const lastAck = Number(m[2]) - origin;
  const pushes = m[3].split(',').map((x) => Number(x) - origin);
  // Only the last edit of each lead is sure to be shown (an earlier name can be replaced before a render).
  const must = [];
  for (let j = Math.max(0, k - (finalOnly ? HOT : k)); j < k; j++) must.push(start + j);
  await waitInPage(
    page,
    (must) => must.every((j) => j in window.__bench.live.shown),
    must,
    `all ${must.length} edited names showing in the list`,
    LONG,
  );
  const live = await bench(page, () => {
    const B = window.__bench;
    const live = B.live;
    B.live = null;
    return { arrived: live.arrived, shown: live.shown, longtasks: B.longtasks };
  });
  const lags = [];
  const pushLags = [];
  let missingArrival = 0;
  for (let j = 0; j < k; j++) {
    const n = start + j;
    const s = live.shown[n];
    if (s == null) continue;
    if (live.arrived[n] != null) lags.push(s - live.arrived[n]);
    else missingArrival++;
    pushLags.push(s - pushes[j]);
  }
  lags.sort((a, b) => a - b);
  pushLags.sort((a, b) => a - b);
  const allShown = Math.max(...must.map((j) => live.shown[j]));
  return {
    k,
    interval,
    arrivalToShown: { p50: quantile(lags, 0.5), p95: quantile(lags, 0.95), max: lags[lags.length - 1] ?? null, n: lags.length },
    missingArrival,
    pushToShown: { p50: quantile(pushLags, 0.5), p95: quantile(pushLags, 0.95), max: pushLags[pushLags.length - 1] ?? null },
    lastAckToAllShown: allShown - lastAck,
    longTasks: longTasksIn(live.longtasks, pushes[0], allShown),
  };
}

async function typeSearch(page) {
  const box = page.getByRole('searchbox');
  await box.click();
  await box.fill('');
  await sleep(500);
  const from = await bench(page, () => performance.now());
  await page.keyboard.type(SEARCH, { delay: 120 });
  await waitInPage(
    page,
    (full) => {
      const c = document.querySelector('.lead-list__count')?.textContent ?? '';
      return !new RegExp(full).test(c) && document.querySelector('#lead-search')?.value.length === 16;
    },
    FULL,
    'the list narrowing to the search',
    MEDIUM,
  );
  await sleep(2000);
  const r = await bench(page, () => ({ events: window.__bench.events, now: performance.now() }));
  const worst = interactions(r.events, from, r.now);
  const found = await countText(page);
  // Keys under Event Timing's 16 ms threshold leave no entry: they count as 16 ms at most.
  // The upper median of the 16 keys (0 = under the threshold).
  const all = [...worst, ...Array(Math.max(0, SEARCH.length - worst.length)).fill(0)].sort((a, b) => a - b);
  const med = all[Math.floor(all.length / 2)];
  await clearSearch(page);
  return {
    keys: SEARCH.length,
    worst: worst.length ? Math.max(...worst) : 0,
    median: med,
    over16: worst.length,
    result: found,
  };
}

async function clearSearch(page) {
  await page.getByRole('searchbox').fill('');
  await waitInPage(
    page,
    (full) => new RegExp(full).test(document.querySelector('.lead-list__count')?.textContent ?? ''),
    FULL,
    'the full list again after clearing the search',
    MEDIUM,
  );
}

const SOAK_WORDS = ['Wang', 'Li Jing', 'Zhang Wei', 'Chen', 'Zhao Min', 'Huang Yan', 'Wu Lei', 'Zhou Xiu', 'Liu Hao', 'Yang'];

async function searchOnce(page, i) {
  const box = page.getByRole('searchbox');
  await box.click();
  await page.keyboard.type(SOAK_WORDS[i % SOAK_WORDS.length]);
  await waitInPage(
    page,
    (full) => !new RegExp(full).test(document.querySelector('.lead-list__count')?.textContent ?? ''),
    FULL,
    `search ${i + 1} narrowing the list`,
    MEDIUM,
  );
  await clearSearch(page);
}

async function chipToggles(page) {
  const chip = page.locator('.lead-list__filters .chips').first().locator('button').first();
  const label = (await chip.textContent())?.trim();
  const painted = [];
  const dom = [];
  let eventWorst = 0;
  for (let i = 0; i < 6; i++) {
    const before = await countText(page);
    const from = await bench(page, () => performance.now());
    const r = await clickAndTime(
      page,
      chip,
      (before) => (document.querySelector('.lead-list__count')?.textContent.trim() ?? null) !== before,
      before,
      `the list changing after grade chip ${label} was clicked`,
    );
    painted.push(r.painted);
    dom.push(r.dom);
    await sleep(800);
    const ev = await bench(page, () => ({ events: window.__bench.events, now: performance.now() }));
    eventWorst = Math.max(eventWorst, ...interactions(ev.events, from, ev.now), 0);
  }
  const pressed = await chip.getAttribute('aria-pressed');
  if (pressed === 'true') await chip.click();
  return { chip: label, clicks: 6, paintedMedian: median(painted), paintedMax: Math.max(...painted), domMedian: median(dom), eventWorst };
}

async function openLeads(page) {
  const times = [];
  const dom = [];
  for (let i = 0; i < 5; i++) {
    const row = page.locator('.lead-row').nth(i * 3);
    const name = (await row.locator('.lead-row__name').textContent())?.trim();
    if (!name) throw new Error(`row ${i * 3} has no name`);
    const r = await clickAndTime(
      page,
      row.locator('a').first(),
      (name) => document.querySelector('#lead-heading')?.textContent.trim() === name,
      name,
      `the record of "${name}" showing its name`,
    );
    times.push(r.painted);
    dom.push(r.dom);
    await page.goBack();
    await waitInPage(
      page,
      () => location.pathname.replace(/\/$/, '') === '/leads' && document.querySelector('.lead-row') != null,
      null,
      'the list after going back',
      MEDIUM,
    );
    await sleep(300);
  }
  return { opens: 5, median: median(times), max: Math.max(...times), domMedian: median(dom), each: times };
}

async function offlineReloads(page, context) {
  await waitForServiceWorkerControl(page, MEDIUM);
  await waitInPage(page, () => window.__bench?.t.complete != null, null, 'the full list before going offline', LONG);
  await context.setOffline(true);
  const full = [];
  const first = [];
  try {
    for (let i = 0; i < 3; i++) {
      await page.reload({ timeout: MEDIUM });
      await waitInPage(page, () => window.__bench?.t.complete != null, null, `the full list after offline reload ${i + 1}`, LONG);
      const t = await bench(page, () => ({ ...window.__bench.t, controlled: navigator.serviceWorker?.controller != null }));
      if (!t.controlled) throw new Error('the reloaded page is not controlled by the service worker');
      full.push(t.complete);
      first.push(t.firstRow);
      await sleep(500);
    }
  } finally {
    await context.setOffline(false);
  }
  return { reloads: 3, median: median(full), max: Math.max(...full), firstRowsMedian: median(first), each: full };
}

// ---------------------------------------------------------------------------
// The table

function table(machine, results) {
  const cols = results.map((r) => (r.rate === 1 ? 'full speed' : `${r.rate}x CPU`));
  const rows = [];
  const row = (what, fn) =>
    rows.push([
      what,
      ...results.map((r) => {
        try {
          const v = fn(r.figures);
          return v == null ? '—' : String(v);
        } catch {
          return '—';
        }
      }),
    ]);
  const lt = (x) => (x ? `${x.count} (max ${Math.round(x.max)} ms, total ${Math.round(x.total)} ms)` : null);
  const mem = (a, b, key) => {
    if (!a || !b || a[key] == null || b[key] == null) return null;
    const d = b[key] - a[key];
    return `${MiB(a[key]).toFixed(1)} → ${MiB(b[key]).toFixed(1)} MiB (${d >= 0 ? '+' : ''}${MiB(d).toFixed(1)} MiB, ${d >= 0 ? '+' : ''}${((100 * d) / a[key]).toFixed(0)} %)`;
  };
  row('CPU check (fixed JS loop)', (f) => ms(f.cpuCheck));
  row('sign-in → first lead rows visible', (f) => ms(f.signInToFirstRows));
  row(`sign-in → list shows ${LEADS.toLocaleString('en-US')} leads`, (f) => ms(f.signInToComplete));
  row('sign-in → sync pill "Synced"', (f) => ms(f.syncedAfterSignIn));
  row('"Receiving…" progress shown during the sync', (f) =>
    f.receiving == null ? null : f.receiving.length ? `yes: ${[...new Set(f.receiving.map((x) => `"${x.text}"`))].slice(0, 3).join(', ')}${f.receiving.length > 3 ? ' …' : ''}` : 'none',
  );
  row('what the list shows during the sync (from sign-in)', (f) => {
    const s = f.listStates;
    if (!s?.length) return null;
    const shown = s.length > 5 ? [...s.slice(0, 3), { at: null, state: `… ${s.length - 4} more …` }, s[s.length - 1]] : s;
    return shown.map((x) => (x.at == null ? x.state : `${ms(x.at)} ${x.state}`)).join(' → ');
  });
  row('long tasks during the sync', (f) => lt(f.syncLongTasks));
  const E = (f) => f.live;
  row(`${EDITS} live edits ${INTERVAL} ms apart: received → shown p50 / p95 / max`, (f) =>
    E(f) ? `${ms(E(f).arrivalToShown.p50)} / ${ms(E(f).arrivalToShown.p95)} / ${ms(E(f).arrivalToShown.max)}${E(f).missingArrival ? ` (${E(f).missingArrival} not seen in the received bytes)` : ''}` : null,
  );
  row('  pushed → shown p50 / p95 / max', (f) => (E(f) ? `${ms(E(f).pushToShown.p50)} / ${ms(E(f).pushToShown.p95)} / ${ms(E(f).pushToShown.max)}` : null));
  row('  last push acked → all shown', (f) => (E(f) ? ms(E(f).lastAckToAllShown) : null));
  row('  long tasks from the first push to all shown', (f) => (E(f) ? lt(E(f).longTasks) : null));
  row(`JS heap after GC, before → after ${EDITS} live edits`, (f) => mem(f.memBefore, f.memAfterLive, 'jsHeap'));
  row(`wasm memory, before → after ${EDITS} live edits`, (f) => mem(f.memBefore, f.memAfterLive, 'wasm'));
  row('soak: live edits + searches', (f) => (f.soak ? `${f.soak.edits} edits ${SOAK_INTERVAL} ms apart (last ack → shown ${ms(f.soak.lastAckToShown)}), ${f.soak.searches} searches` : null));
  row('  JS heap after GC, before → after the soak', (f) => mem(f.memBefore, f.memAfterSoak, 'jsHeap'));
  row('  wasm memory, before → after the soak', (f) => mem(f.memBefore, f.memAfterSoak, 'wasm'));
  row(`typing "${SEARCH}" (16 keys): worst key-to-paint`, (f) => (f.search ? ms(f.search.worst) : null));
  row('  median key-to-paint (Event Timing reports 16 ms and more)', (f) =>
    f.search ? (f.search.median < 16 ? `< 16 ms (${f.search.over16} of 16 keys ≥ 16 ms)` : `${ms(f.search.median)} (${f.search.over16} of 16 keys ≥ 16 ms)`) : null,
  );
  row('grade chip click → list repainted (median / max of 6; DOM + next frame)', (f) => (f.chip ? `${ms(f.chip.paintedMedian)} / ${ms(f.chip.paintedMax)}` : null));
  row('  grade chip: worst Event Timing duration', (f) => (f.chip ? (f.chip.eventWorst ? ms(f.chip.eventWorst) : '< 16 ms') : null));
  row('open a lead: click → its name shown (median / max of 5)', (f) => (f.open ? `${ms(f.open.median)} / ${ms(f.open.max)}` : null));
  row(`offline reload → list shows ${LEADS.toLocaleString('en-US')} (median / max of 3)`, (f) => (f.offline ? `${ms(f.offline.median)} / ${ms(f.offline.max)}` : null));
  row('  offline reload → first rows (median)', (f) => (f.offline ? ms(f.offline.firstRowsMedian) : null));
  row('CPU check after the reloads', (f) => ms(f.cpuCheckAfterReload));

  const out = [];
  out.push(`# Device benchmark: ${LEADS.toLocaleString('en-US')} leads, ${VIEWPORT.width}x${VIEWPORT.height}, headless Chromium`);
  out.push('');
  out.push(`Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memory}; ${machine.chromium}; Node ${process.version}.`);
  out.push(`Seeding ${LEADS} leads through the sync socket took ${ms(machine.seedMs)}.`);
  out.push('');
  out.push(`| figure | ${cols.join(' | ')} |`);
  out.push(`|---|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) out.push(`| ${r.map((c) => c.replace(/\|/g, '/')).join(' | ')} |`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  let server = null;
  let seeder = null;
  let browser = null;
  const errors = [];
  const results = [];
  const machine = {
    cores: os.cpus().length,
    cpu: 'unknown CPU',
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    chromium: '',
    seedMs: null,
  };
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    machine.cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? machine.cpu;
  } catch {}
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await seeder?.stop().catch(() => {});
    await server?.stop().catch(() => {});
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      cleanup().finally(() => process.exit(130));
    });
  }
  try {
    server = await step('start the server', () => startServer({ timeoutMs: MEDIUM }));
    const seeding = await step('sign in the seeding device (sales1, API)', () =>
      apiLogin(server.url, 'sales1', PASSWORD, 'Bench seeding tablet'),
    );
    seeder = startSeeder({
      url: server.url,
      token: seeding.token,
      dealer: seeding.session.dealer.id,
      user: seeding.session.user.id,
    });
    const tag = (await step('seeder: run tag', () => seeder.command('tag', MEDIUM))).replace(/^tag /, '');
    await step(`seed ${LEADS} leads`, async () => {
      const answer = await seeder.command(`seed ${LEADS}`);
      const m = /^seeded (\d+) (\d+)$/.exec(answer);
      if (!m) throw new Error(`device-seed answered "${answer}"`);
      machine.seedMs = Number(m[2]);
    });
    browser = await step('launch Chromium', () => launchBrowser());
    machine.chromium = `Chromium ${browser.version()}`;
    let nextEdit = 0;
    const edits = {
      count: EDITS,
      interval: INTERVAL,
      next(k = EDITS) {
        const start = nextEdit;
        nextEdit += k;
        return start;
      },
    };
    for (const [i, rate] of RATES.entries()) {
      process.stderr.write(`${rate === 1 ? 'full speed' : `CPU throttled ${rate}x`}:\n`);
      const figures = {};
      results.push({ rate, figures });
      await measureRate({ browser, server, seeder, tag, rate, edits, soak: rate === 1 || (i === 0 && !RATES.includes(1)), figures, errors });
    }
  } catch (e) {
    errors.push(e.message);
    process.stderr.write(`FAILED: ${e.message}\n`);
    if (server) process.stderr.write(`--- server output (last 4 kB) ---\n${server.log().slice(-4000)}\n`);
  } finally {
    await cleanup();
  }
  const elapsed = (Date.now() - started) / 1000;
  if (results.length) {
    console.log(table(machine, results));
    console.log('');
    console.log(`One run took ${Math.round(elapsed)} s.`);
    for (const r of results) {
      if (r.figures.console?.length) {
        process.stderr.write(`browser console at ${r.rate}x (last lines):\n  ${r.figures.console.join('\n  ')}\n`);
      }
    }
  }
  if (flags.json) {
    await writeFile(
      flags.json,
      JSON.stringify({ machine, leads: LEADS, edits: EDITS, interval: INTERVAL, elapsedSeconds: elapsed, errors, results }, null, 2),
    );
  }
  if (errors.length) {
    console.error(`\n${errors.length} step(s) failed:\n- ${errors.join('\n- ')}`);
    process.exit(1);
  }
}

await main();
