// Find / act / check helpers for Showroom's browser end-to-end tests.
//
// Everything here is real: the `showroom-server` binary on a fresh SQLite file with
// the demo dealers, the built PWA from `dist/`, and Debian's Chromium driven by
// playwright-core. `cargo xtask test` builds both and sets:
//   SHOWROOM_SERVER_BIN  the server binary (default: target/debug/showroom-server)
//   SHOWROOM_DIST        the built PWA (default: dist/)
//   CHROMIUM             the browser (default: /usr/bin/chromium)
//   TMPDIR               a directory of its own, removed afterwards
// Run one file by hand: `node --test tests/e2e/sign-in.test.mjs` after `cargo xtask build`
// and `cargo build -p showroom-server`.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, mkdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { before, after, test } from 'node:test';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(E2E_DIR, '..', '..');
export const ARTIFACTS = path.join(E2E_DIR, 'artifacts');
export const DIST = process.env.SHOWROOM_DIST || path.join(ROOT, 'dist');
export const SERVER_BIN =
  process.env.SHOWROOM_SERVER_BIN || path.join(ROOT, 'target', 'debug', 'showroom-server');
/** A device that pushes leads and edits through the real sync protocol (tests/src/bin/device_seed.rs). */
export const SEED_BIN =
  process.env.SHOWROOM_DEVICE_SEED_BIN || path.join(ROOT, 'target', 'debug', 'device-seed');

/** The demo password of every demo user (sales1, sales2, manager at Demo Motors; rival1 at Rival Auto). */
export const PASSWORD = 'showroom';
export const DEMO_DEALER = 'Demo Motors';

/** Default wait for anything the user would see. Generous: a 2-core CI machine is busy. */
export const UI_TIMEOUT = 20_000;
/** Per-test limit for node:test. */
export const TEST_TIMEOUT = 180_000;

// ---------------------------------------------------------------------------
// Server

/**
 * Starts the real server with a fresh SQLite database and the demo data, serving
 * `staticDir`. Resolves once it prints `Showroom listening on <url>`.
 * - `seedDemo: false`: no demo data (a real install: it prints a set-up link, kept in `setupLink`);
 * - `dir`: the folder of an earlier server (its database; kept when this one stops: `keepDir`);
 * - `addr`: where to listen (default `127.0.0.1:0`, a free port);
 * - `env`: more environment (TLS certificates, backup settings …).
 * Automatic backups are off unless `env` turns them on.
 */
export async function startServer({
  staticDir = DIST, timeoutMs = 60_000, demoMonth = false, seedDemo = true, dir: reuse = null,
  addr = '127.0.0.1:0', env: extra = {}, keepDir = false,
} = {}) {
  const dir = reuse || (await mkdtemp(path.join(tmpdir(), 'showroom-e2e-server-')));
  const env = {
    ...process.env,
    SHOWROOM_ADDR: addr,
    SHOWROOM_SEED_DEMO: seedDemo ? '1' : '0',
    // The demo dealers without their month of work, unless a test asks for it.
    SHOWROOM_DEMO_MONTH: demoMonth ? '1' : '0',
    SHOWROOM_BACKUP_EVERY_HOURS: '0',
    SHOWROOM_STATIC_DIR: staticDir,
    NO_COLOR: '1',
    DATABASE_URL: `sqlite://${path.join(dir, 'showroom.db')}`,
    ...extra,
  };
  const child = spawn(SERVER_BIN, [], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let setupLink = null;
  const keep = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', keep);

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not print "Showroom listening on ..." within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    function fail(why) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`showroom-server (${SERVER_BIN}) ${why}\n--- its output ---\n${log}`));
    }
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    child.on('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    const lines = createInterface({ input: child.stdout });
    let listening = null;
    lines.on('line', (line) => {
      keep(line + '\n');
      const link = /^\s+(https?:\/\/\S+\/setup#\S+)/.exec(line);
      if (link) setupLink = link[1];
      const m = /^Showroom listening on (https?:\/\/\S+)/.exec(line);
      if (m) listening = m[1].replace(/\/$/, '');
      // The set-up link follows the listening line on a fresh install.
      if (listening && (seedDemo || setupLink || reuse)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(listening);
      }
    });
  });

  let stopped = null;
  return {
    url,
    dir,
    /** A fresh install's one-time set-up link, as printed. */
    setupLink,
    /** The server's output so far (for failure reports). */
    log: () => log,
    /**
     * SIGTERM, then wait for it to exit (SIGKILL after 15 s); then the storage
     * check (`showroom-server check`): every document the test stored must
     * open, the way the server opens it, as a replay of its log holds it —
     * the stop fails otherwise. Removes its folder unless kept.
     */
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        try {
          await checkStorage(dir, extra);
        } finally {
          if (!keepDir) await rm(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/** Runs `showroom-server check` on the SQLite database in `dir`, if there is one. */
async function checkStorage(dir, extra = {}) {
  const file = path.join(dir, 'showroom.db');
  const url = extra.DATABASE_URL ?? `sqlite://${file}`;
  if (!url.startsWith('sqlite://')) return;
  try {
    await stat(url.slice('sqlite://'.length));
  } catch {
    return;
  }
  await serverCommand(dir, ['check'], { env: { DATABASE_URL: url } });
}

/**
 * Runs one `showroom-server` command (`admin …`, `backup now`, `restore FILE`,
 * `tls init …`) on the database in `dir`, with `stdin` as its input; resolves
 * with its output, rejects with it when the command fails.
 */
export async function serverCommand(dir, args, { stdin = '', env: extra = {} } = {}) {
  const env = { ...process.env, NO_COLOR: '1', DATABASE_URL: `sqlite://${path.join(dir, 'showroom.db')}`, ...extra };
  const child = spawn(SERVER_BIN, args, { env, cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  child.stdin.end(stdin);
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`showroom-server ${args.join(' ')} failed (${code}):\n${out}`);
  return out;
}

// ---------------------------------------------------------------------------
// Browser

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A fresh browser context (its own storage, like a new device) and a page in it. */
export async function newDevice(browser, { viewport = { width: 768, height: 1024 }, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ locale, viewport, serviceWorkers: 'allow' });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  const consoleLog = [];
  watchPage(page, consoleLog);
  return { context, page, consoleLog };
}

/** Collects a page's console messages, errors and crash into `consoleLog`. */
export function watchPage(page, consoleLog) {
  page.on('console', (m) => consoleLog.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLog.push(`[pageerror] ${e.stack || e.message}`));
  page.on('crash', () => consoleLog.push('[crash] the page crashed'));
}

/**
 * Per-file fixtures: one browser (and, unless `server: false`, one server started
 * with `serverOptions`) for the whole file. Use the returned object's fields inside tests.
 */
export function useFixtures({ server = true, serverOptions = {} } = {}) {
  const fx = { browser: null, server: null };
  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Keep whatever did start, so that `after` closes it even if the other failed
    // (a browser left open would keep this test file's process alive).
    const [b, s] = await Promise.allSettled([launchBrowser(), server ? startServer(serverOptions) : null]);
    if (b.status === 'fulfilled') fx.browser = b.value;
    if (s.status === 'fulfilled') fx.server = s.value;
    for (const r of [b, s]) if (r.status === 'rejected') throw r.reason;
  });
  after(async () => {
    await fx.browser?.close();
    await fx.server?.stop();
  });
  return fx;
}

/** What Chromium and the server say when the Content-Security-Policy blocked something. */
const CSP_VIOLATION = /Content Security Policy|Content-Security-Policy|csp violation/i;

/**
 * The app runs under the server's strict Content-Security-Policy: anything it
 * blocked (an inline script or style, a foreign connection) fails the test, as
 * seen in a page's console or reported to the server (`report-uri`).
 */
export function assertNoCspViolations(devices, servers) {
  const seen = [];
  for (const [i, d] of devices.entries()) {
    for (const line of d.consoleLog) if (CSP_VIOLATION.test(line)) seen.push(`device ${i + 1}: ${line}`);
  }
  for (const [i, s] of servers.entries()) {
    for (const line of s.log().split('\n')) if (/csp violation/.test(line)) seen.push(`server ${i + 1}: ${line}`);
  }
  if (seen.length > 0) {
    throw new Error(`the Content-Security-Policy blocked something:\n${seen.join('\n')}`);
  }
}

function slug(name) {
  return name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80).toLowerCase();
}

/**
 * A test with a fresh device (browser context). On failure it saves
 * `artifacts/<test>.png` and `artifacts/<test>.log` (browser console, page errors and
 * the server's output) before rethrowing.
 * `body({ t, page, context, first, device, tab, servers })`: `first` is the first device
 * (`{context, page, consoleLog}`); `device(opts)` opens more devices; `tab(d)` opens
 * another page in device `d`'s context (default: the first); `servers` collects extra
 * servers whose output the failure report should include (they are stopped when the
 * test ends).
 */
export function e2eTest(name, fx, body, { timeout = TEST_TIMEOUT, viewport } = {}) {
  test(name, { timeout }, async (t) => {
    const devices = [];
    const servers = fx.server ? [fx.server] : [];
    const device = async (opts = {}) => {
      const d = await newDevice(fx.browser, { viewport, ...opts });
      devices.push(d);
      return d;
    };
    // Another tab (page) of an open device: same storage, reported like a device.
    const tab = async (of = first) => {
      const d = { context: of.context, page: await of.context.newPage(), consoleLog: [] };
      watchPage(d.page, d.consoleLog);
      devices.push(d);
      return d;
    };
    const first = await device();
    let failed = false;
    try {
      await body({ t, page: first.page, context: first.context, first, device, tab, servers });
      assertNoCspViolations(devices, servers);
    } catch (err) {
      failed = true;
      const base = path.join(ARTIFACTS, slug(name));
      const report = [`${name}\n\n${err.stack || err}`];
      for (const [i, d] of devices.entries()) {
        const suffix = i === 0 ? '' : `-device${i + 1}`;
        try {
          await d.page.screenshot({ path: `${base}${suffix}.png`, fullPage: true, timeout: 5_000 });
          report.push(`screenshot: ${base}${suffix}.png (page at ${d.page.url()})`);
        } catch (e) {
          report.push(`no screenshot of device ${i + 1}: ${e.message}`);
        }
        report.push(`--- device ${i + 1} console ---\n${d.consoleLog.join('\n')}`);
      }
      for (const [i, s] of servers.entries()) {
        report.push(`--- server ${i + 1} output (last 20 kB) ---\n${s.log().slice(-20_000)}`);
      }
      await mkdir(ARTIFACTS, { recursive: true });
      await writeFile(`${base}.log`, report.join('\n\n'));
      t.diagnostic(`failure report: ${base}.log`);
      throw err;
    } finally {
      for (const d of devices) await d.context.close().catch(() => {});
      // Servers the test added are its own: stop them (a running child would keep
      // this file's process alive). `stop()` may be called again safely.
      // A server's storage check runs as it stops: its failure fails a test
      // that passed otherwise.
      const stopErrors = [];
      for (const s of servers) if (s !== fx.server) await s.stop().catch((e) => stopErrors.push(e));
      if (!failed && stopErrors.length > 0) throw stopErrors[0];
    }
  });
}

// ---------------------------------------------------------------------------
// Finding things (by role and accessible name, as a screen reader would)

export const banner = (page) => page.getByRole('banner');
export const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });
export const connectionStatus = (page) => page.getByRole('status', { name: 'Connection' });
/** The top bar's sync pill: "Synced", "N waiting", "Syncing…", "Can't reach the server", "Can't read what the server sent — retrying" or "Sync refused: …". */
export const syncStatus = (page) => page.getByRole('status', { name: 'Sync', exact: true });
export const heading = (page, name) => page.getByRole('heading', { name, exact: true });
export const button = (page, name) => page.getByRole('button', { name, exact: true });
export const navLink = (page, name) => mainNav(page).getByRole('link', { name, exact: true });

// ---------------------------------------------------------------------------
// Checking (waits, because the app renders asynchronously; messages say what a user would miss)

/**
 * Signs on a signature pad (found by its label, "Customer's signature", in `scope`) with
 * `strokes` finger strokes of pointer moves across it; resolves with the pad.
 */
export async function sign(page, { strokes = 3, scope = page } = {}) {
  const pad = scope.getByRole('img', { name: "Customer's signature", exact: true });
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const step = 0.8 / strokes;
  for (let s = 0; s < strokes; s++) {
    await page.mouse.move(box.x + box.width * (0.1 + s * step), box.y + box.height * 0.6);
    await page.mouse.down();
    for (let i = 1; i <= 15; i++) {
      await page.mouse.move(box.x + box.width * (0.1 + s * step + i * step * 0.05), box.y + box.height * (0.6 - 0.3 * Math.sin(i / 3)));
    }
    await page.mouse.up();
  }
  return pad;
}

/** Waits until `locator` is visible. */
export async function seeVisible(locator, what, timeout = UI_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch (e) {
    throw new Error(`expected to see ${what} within ${timeout / 1000} s: ${firstLine(e)}`);
  }
}

/** Waits until nothing matches `locator` (or it is hidden). */
export async function seeHidden(locator, what, timeout = UI_TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'hidden', timeout });
  } catch (e) {
    throw new Error(`expected ${what} to be gone within ${timeout / 1000} s: ${firstLine(e)}`);
  }
}

/** Waits until `locator`'s text (whitespace-normalised) contains `text`. */
export async function seeText(locator, text, what, timeout = UI_TIMEOUT) {
  let last = '(no element)';
  await eventually(
    async () => {
      if ((await locator.count()) === 0) return false;
      last = normalise(await locator.first().innerText({ timeout: 1_000 }));
      return text instanceof RegExp ? text.test(last) : last.includes(text);
    },
    () => `expected ${what} to show "${text}", it showed "${last}"`,
    timeout,
  );
}

/** Polls `check` (async, truthy = done) until it holds. */
export async function eventually(check, message, timeout = UI_TIMEOUT, interval = 200) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const m = typeof message === 'function' ? message() : message;
      throw new Error(`${m} (waited ${timeout / 1000} s)${lastError ? `: ${firstLine(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function seePath(page, pathname, timeout = UI_TIMEOUT) {
  await eventually(
    () => new URL(page.url()).pathname === pathname,
    () => `expected to be at ${pathname}, the page is at ${page.url()}`,
    timeout,
  );
}

const normalise = (s) => s.replace(/\s+/g, ' ').trim();
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

// ---------------------------------------------------------------------------
// Acting

/**
 * Signs in through the login page as a user would and waits for the signed-in layout.
 * Returns the server's login response (`{token, session:{user, dealer, device}}`).
 */
export async function login(page, base, username, password = PASSWORD) {
  await page.goto(`${base}/login`);
  await seeVisible(heading(page, 'Sign in'), 'the "Sign in" heading');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const response = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST',
  );
  await button(page, 'Sign in').click();
  const body = await (await response).json().catch(() => null);
  await seeText(banner(page), username, `the header (signed in as ${username})`);
  return body;
}

/**
 * Waits until a service worker controls the page (reloading at most once: a worker
 * may only take control of pages loaded after it activated).
 */
export async function waitForServiceWorkerControl(page, timeout = 30_000) {
  const controlled = () =>
    page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout });
  try {
    await controlled();
  } catch {
    await page.reload();
    try {
      await controlled();
    } catch (e) {
      throw new Error(`no service worker took control of ${page.url()} (even after a reload): ${firstLine(e)}`);
    }
  }
}

// ---------------------------------------------------------------------------
// HTTP API (for setting up and checking what the UI cannot show)

export async function api(base, method, pathname, { token, json } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${pathname}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, text, body, headers: res.headers };
}

/** `POST /api/v1/auth/login`; throws unless it succeeds. Returns `{token, session}`. */
export async function apiLogin(base, username, password = PASSWORD, deviceName = `e2e ${username}`) {
  const r = await api(base, 'POST', '/api/v1/auth/login', {
    json: { username, password, device_name: deviceName },
  });
  if (r.status !== 200 || !r.body?.token) {
    throw new Error(`login of ${username} through the API failed: ${r.status} ${r.text}`);
  }
  return r.body;
}

/** Every IndexedDB database of the page's origin, and which of their stores contain `needle` anywhere. */
export function indexedDbStoresContaining(page, needle) {
  return page.evaluate(async (needle) => {
    const req = (r) =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const replacer = (_k, v) =>
      v instanceof ArrayBuffer
        ? new TextDecoder().decode(v)
        : ArrayBuffer.isView(v)
          ? new TextDecoder().decode(v)
          : v;
    const databases = (await indexedDB.databases()).map((d) => d.name);
    const found = [];
    for (const name of databases) {
      const db = await req(indexedDB.open(name));
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store, 'readonly').objectStore(store);
        const [values, keys] = await Promise.all([req(tx.getAll()), req(tx.getAllKeys())]);
        if (JSON.stringify([values, keys], replacer).includes(needle)) found.push(`${name}/${store}`);
      }
      db.close();
    }
    return { databases, found };
  }, needle);
}

/** How many records each of `stores` of IndexedDB database `name` holds (absent stores: null). */
export function indexedDbCounts(page, name, stores) {
  return page.evaluate(
    async ({ name, stores }) => {
      const req = (r) =>
        new Promise((resolve, reject) => {
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
      const known = (await indexedDB.databases()).some((d) => d.name === name);
      const counts = Object.fromEntries(stores.map((s) => [s, null]));
      if (!known) return counts;
      const db = await req(indexedDB.open(name));
      try {
        for (const store of stores) {
          if (db.objectStoreNames.contains(store)) {
            counts[store] = await req(db.transaction(store, 'readonly').objectStore(store).count());
          }
        }
      } finally {
        db.close();
      }
      return counts;
    },
    { name, stores },
  );
}

/**
 * The documents the device holds (`lead:<uuid>`, `dealer:<uuid>`, …): the distinct ids of the
 * `docs` and `doc_changes` stores of the `showroom` database, sorted.
 */
export function deviceDocuments(page) {
  return page.evaluate(async () => {
    const req = (r) =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    if (!(await indexedDB.databases()).some((d) => d.name === 'showroom')) return [];
    const db = await req(indexedDB.open('showroom'));
    try {
      const tx = db.transaction(['docs', 'doc_changes'], 'readonly');
      const keys = [
        ...(await req(tx.objectStore('docs').getAllKeys())),
        ...(await req(tx.objectStore('doc_changes').getAllKeys())),
      ];
      return [...new Set(keys.map((k) => String(k).split(':').slice(0, 2).join(':')))].sort();
    } finally {
      db.close();
    }
  });
}

// ---------------------------------------------------------------------------
// A seeding device: `device-seed` speaking the sync protocol as another tablet would.
// Commands, one answer line each: `seed N`, `edit K INTERVAL_MS START`, `quit`.
// `url` is the server, `token`/`dealer`/`user` come from `apiLogin`.

/**
 * Starts `device-seed` (`bin`, default SHOWROOM_DEVICE_SEED_BIN or target/debug/device-seed).
 * Returns `{ command(line) → answer line, stop() }`.
 */
export function startSeedingDevice({ url, token, dealer, user, bin = SEED_BIN, timeout: answerTimeout = 120_000 }) {
  const SEED_BIN = bin;
  const child = spawn(SEED_BIN, ['--url', url, '--token', token, '--dealer', dealer, '--user', user], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-20_000);
  });
  const waiting = [];
  let ended = null;
  const endAll = (why) => {
    ended ??= why;
    while (waiting.length) waiting.shift().reject(new Error(`device-seed ${ended}${stderr ? `: ${stderr.trim()}` : ''}`));
  };
  child.on('error', (e) => endAll(`could not start (${SEED_BIN}): ${e.message}`));
  child.on('exit', (code, signal) => endAll(`exited (code ${code}, signal ${signal})`));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(line);
  });
  return {
    /** Sends `line`, resolves with the answer line. */
    command(line, timeout = answerTimeout) {
      if (ended) return Promise.reject(new Error(`device-seed ${ended}: ${stderr.trim()}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`device-seed gave no answer to "${line}" within ${timeout / 1000} s`)), timeout);
        waiting.push({
          resolve: (v) => (clearTimeout(timer), resolve(v)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.stdin.write(`${line}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      try {
        child.stdin.end('quit\n');
      } catch {}
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
