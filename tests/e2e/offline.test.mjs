// Offline-first: the service worker takes over, the app opens without a network or
// without a server, and signing out leaves nothing of the session on the device.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl, banner, heading, button,
  navLink, connectionStatus, seeVisible, seeText, seePath, indexedDbStoresContaining, DEMO_DEALER,
} from './harness.mjs';

const fx = useFixtures();

e2eTest('a service worker takes control of the app after signing in', fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales1');
  await waitForServiceWorkerControl(page);
  const scriptURL = await page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
  assert.equal(scriptURL, `${base}/sw.js`);
});

e2eTest('with the network gone, a reload still opens the signed-in app and says Offline', fx, async ({ page, context }) => {
  const base = fx.server.url;
  await login(page, base, 'sales1');
  await waitForServiceWorkerControl(page);
  await context.setOffline(true);
  await page.reload();
  assert.ok(page.url().startsWith(base), `the app, not the browser's error page, should load (at ${page.url()})`);
  await seeText(banner(page), DEMO_DEALER, 'the header (dealer name) offline');
  await seeText(banner(page), 'sales1', 'the header (username) offline');
  await seeText(connectionStatus(page), 'Offline', 'the Connection status');
});

e2eTest('with the server stopped, a reload still opens the signed-in app', fx, async ({ t, page, servers }) => {
  // A server of its own, since this test stops it.
  const own = await startServer();
  servers.push(own);
  try {
    await login(page, own.url, 'sales1');
    await waitForServiceWorkerControl(page);
    await own.stop();
    await page.reload();
    assert.ok(page.url().startsWith(own.url), `the app, not the browser's error page, should load (at ${page.url()})`);
    await seeText(banner(page), DEMO_DEALER, 'the header (dealer name) with the server down');
    await seeText(banner(page), 'sales1', 'the header (username) with the server down');
    await seeVisible(heading(page, 'Today'), 'the "Today" page with the server down');
    t.diagnostic(`Connection status with the server down: ${await connectionStatus(page).innerText().catch(() => '?')}`);
  } finally {
    await own.stop();
  }
});

e2eTest('signing out removes the session from the device, also for offline reloads', fx, async ({ t, page, context }) => {
  const base = fx.server.url;
  const session = await login(page, base, 'sales1');
  assert.ok(session?.token, 'the login response carries a token');
  await waitForServiceWorkerControl(page);
  const before = await indexedDbStoresContaining(page, session.token);
  if (before.found.length === 0) {
    t.diagnostic(`the token is not stored as text (databases: ${before.databases.join(', ')}); only the reloads below check sign-out`);
  }

  await navLink(page, 'Settings').click();
  await seeVisible(heading(page, 'Settings'), 'the "Settings" heading');
  await button(page, 'Sign out').click();
  await seeVisible(heading(page, 'Sign in'), 'the login page after signing out');
  await seePath(page, '/login');

  const after = await indexedDbStoresContaining(page, session.token);
  assert.deepEqual(after.found, [], `the session token is still stored in IndexedDB (${after.found.join(', ')})`);

  await page.reload();
  await seeVisible(heading(page, 'Sign in'), 'the login page after a reload');
  await seePath(page, '/login');
  assert.equal(await banner(page).getByText('sales1').count(), 0, 'nobody is signed in after a reload');

  await context.setOffline(true);
  await page.goto(`${base}/`);
  await seeVisible(heading(page, 'Sign in'), 'the login page after an offline reload');
  assert.equal(await banner(page).getByText('sales1').count(), 0, 'nobody is signed in offline');
});
