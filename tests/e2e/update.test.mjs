// A new deployment reaches an open app: the banner offers a reload, and after it
// the new service worker is in control and the user is still signed in.

import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl, banner, button,
  seeVisible, seeHidden, seeText, eventually, DIST, DEMO_DEALER,
} from './harness.mjs';

const fx = useFixtures({ server: false });

e2eTest('a new version shows "A new version is available."; Reload switches to it and keeps the session', fx, async ({ page, servers }) => {
  const copy = await mkdtemp(path.join(tmpdir(), 'showroom-e2e-dist-'));
  await cp(DIST, copy, { recursive: true });
  const server = await startServer({ staticDir: copy });
  servers.push(server);
  try {
    await login(page, server.url, 'sales1');
    await waitForServiceWorkerControl(page);

    const sw = path.join(copy, 'sw.js');
    const { mtimeMs } = await stat(sw);
    await appendFile(sw, '\n// build 2\n');
    // The server answers If-Modified-Since by Last-Modified, which has whole seconds:
    // a change within the second of the copy would get "304 Not Modified".
    const later = new Date(mtimeMs + 5_000);
    await utimes(sw, later, later);
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));

    const notice = page.getByRole('status').filter({ hasText: 'A new version is available.' });
    await seeVisible(notice, 'the "A new version is available." banner', 30_000);
    const reload = button(page, 'Reload');
    await seeVisible(reload, 'the "Reload" button in the update banner');
    const navigated = page.waitForEvent('load', { timeout: 30_000 });
    await reload.click();
    await navigated;

    await seeText(banner(page), 'sales1', 'the header (still signed in) after the reload');
    await seeText(banner(page), DEMO_DEALER, 'the header (dealer name) after the reload');
    await seeHidden(notice, 'the update banner');
    let state;
    await eventually(
      async () => {
        state = await page.evaluate(async () => {
          const r = await navigator.serviceWorker.getRegistration();
          return {
            controlled: navigator.serviceWorker.controller != null,
            waiting: r?.waiting != null,
            installing: r?.installing != null,
            activeState: r?.active?.state ?? null,
          };
        });
        return state.controlled && !state.waiting && !state.installing && state.activeState === 'activated';
      },
      () => `the new service worker should control the page, none waiting: ${JSON.stringify(state)}`,
    );
  } finally {
    await server.stop();
    await rm(copy, { recursive: true, force: true });
  }
});

e2eTest('an app on an older sync protocol is told by the server to reload, says so, and stops retrying', fx, async ({ page, context, servers }) => {
  const server = await startServer();
  servers.push(server);
  // The app's Hello goes to the real server with the protocol byte of the
  // previous version (3), as an app from before the last protocol bump sends it.
  let connections = 0;
  const answers = [];
  await context.routeWebSocket(/\/sync$/, (ws) => {
    connections += 1;
    const upstream = ws.connectToServer();
    let first = true;
    ws.onMessage((message) => {
      if (first && typeof message !== 'string') {
        first = false;
        const bytes = Buffer.from(message);
        assert.equal(bytes[0], 0x01, 'the first message is Hello');
        bytes[1] = 3;
        upstream.send(bytes);
        return;
      }
      upstream.send(message);
    });
    upstream.onMessage((message) => {
      if (typeof message !== 'string') answers.push(Buffer.from(message));
      ws.send(message);
    });
  });
  await login(page, server.url, 'sales1');
  const notice = page.getByRole('status').filter({ hasText: 'This version of the app can no longer sync with the server.' });
  await seeVisible(notice, 'the "can no longer sync: reload" banner', 30_000);
  await seeVisible(button(page, 'Reload'), 'the "Reload" button in the banner');
  // What the server said: an Error (0x83) with the code unsupported_version (6).
  assert.ok(
    answers.some((a) => a[0] === 0x83 && a[1] === 6),
    `the server answers unsupported_version; it sent kinds ${answers.map((a) => a[0]).join(', ')}`,
  );
  // No reconnecting for ever: the app waits for the new version.
  const seen = connections;
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  assert.equal(connections, seen, 'no new sync connection after the server said to reload');
});
