// A real deployment, as a dealer's IT person does it (docs/DEPLOY.md):
// 1. a fresh server with no demo data, over HTTPS with the local CA of
//    `showroom-server tls init`, on a name that is not loopback (Chromium maps
//    `showroom.test` to this machine's LAN address and trusts the CA's key):
//    the set-up link creates the dealer, the admin adds a manager, the manager
//    adds two salespeople, and a tablet installs the app and works offline;
// 2. a scripted install (`admin create-dealer`, `admin create-user`), a backup
//    while the server runs, work after it, a restore: the tablet re-sends what
//    the restored server lost, and another device sees it all.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  e2eTest, startServer, serverCommand, login, waitForServiceWorkerControl, heading, button,
  banner, navLink, syncStatus, seeVisible, seeText, seePath, eventually, CHROMIUM_ARGS, UI_TIMEOUT,
} from './harness.mjs';

const NAME = 'showroom.test';

/** This machine's first non-loopback IPv4 address (the showroom LAN), or loopback. */
function lanAddress() {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

const fx = { browser: null, server: null };
let tlsDir = null;
let ip = '127.0.0.1';

before(async () => {
  ip = lanAddress();
  tlsDir = await mkdtemp(path.join(tmpdir(), 'showroom-e2e-tls-'));
  await serverCommand(tlsDir, ['tls', 'init', '--dir', path.join(tlsDir, 'tls'), '--name', NAME]);
  // Trust the CA's key the way a tablet that installed the CA would: Chromium
  // accepts certificates chaining to it (and only it) by its SPKI hash.
  const ca = new X509Certificate(await readFile(path.join(tlsDir, 'tls', 'ca.crt')));
  const spki = createHash('sha256')
    .update(ca.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  const server = new X509Certificate(await readFile(path.join(tlsDir, 'tls', 'server.crt')));
  const serverSpki = createHash('sha256')
    .update(server.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  fx.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      `--host-resolver-rules=MAP ${NAME} ${ip}`,
      `--ignore-certificate-errors-spki-list=${spki},${serverSpki}`,
    ],
  });
});

after(async () => {
  await fx.browser?.close();
  if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
});

const field = (page, label) => page.getByLabel(label, { exact: true });

/** Signs in with a temporary password and chooses `chosen`; ends on Today. */
async function firstSignIn(page, base, username, temporary, chosen) {
  await page.goto(`${base}/login`);
  await field(page, 'Username').fill(username);
  await field(page, 'Password').fill(temporary);
  await button(page, 'Sign in').click();
  await seeVisible(heading(page, 'Choose a new password'), 'the new-password page after a temporary password');
  await field(page, 'Temporary password').fill(temporary);
  await field(page, 'New password').fill(chosen);
  await field(page, 'Confirm new password').fill(chosen);
  await button(page, 'Save the new password').click();
  await seeVisible(heading(page, 'Today'), 'Today once the password is chosen');
}

/** Adds a person on the Team page; returns the temporary password shown once. */
async function addPerson(page, base, { name, username, role }) {
  await page.goto(`${base}/team`);
  await field(page, 'Name').fill(name);
  await field(page, 'Username').fill(username);
  await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption({ label: role });
  await button(page, 'Add person').click();
  const card = page.getByText(/this temporary password/);
  await seeVisible(card, `the temporary password of ${name}`);
  const text = await card.innerText();
  const m = /([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})/.exec(text);
  assert.ok(m, `a temporary password in "${text}"`);
  await button(page, 'Done').click();
  return m[1];
}

/** A new lead with just a name and a mobile; ends on its record, saved on the device. */
async function createLead(page, name, mobile) {
  await navLink(page, 'Leads').click();
  await page.getByRole('link', { name: 'New lead', exact: true }).first().click();
  await seePath(page, '/leads/new');
  await field(page, 'Customer name').fill(name);
  await field(page, 'Mobile').fill(mobile);
  await page.getByRole('combobox', { name: 'Model', exact: true }).fill('Model Y');
  await button(page, 'Save').click();
  await seeVisible(heading(page, name), `the new lead's record ("${name}")`);
}

async function seeSynced(page, what) {
  await seeText(syncStatus(page), 'Synced', `the Sync pill ${what}`, 60_000);
}

e2eTest('a fresh server over HTTPS on the showroom network: set-up, a manager adds two salespeople, a tablet installs the app and works offline', fx, async ({ t, page, device, servers }) => {
  const server = await startServer({
    seedDemo: false,
    addr: `${ip}:0`,
    env: {
      SHOWROOM_TLS_CERT: path.join(tlsDir, 'tls', 'server.crt'),
      SHOWROOM_TLS_KEY: path.join(tlsDir, 'tls', 'server.key'),
      SHOWROOM_TLS_CA: path.join(tlsDir, 'tls', 'ca.crt'),
    },
  });
  servers.push(server);
  const port = new URL(server.url).port;
  const base = `https://${NAME}:${port}`;
  assert.ok(server.setupLink, `the server printed a set-up link:\n${server.log()}`);
  const code = new URL(server.setupLink).hash;

  // Plain HTTP from the network is sent to HTTPS.
  if (ip !== '127.0.0.1') {
    await page.goto(`http://${NAME}:${port}/login`);
    assert.equal(new URL(page.url()).protocol, 'https:', `http:// was redirected (at ${page.url()})`);
  } else {
    t.diagnostic('no LAN address on this machine: the redirect is covered by the server tests only');
  }

  // The set-up link: the dealer and its first admin.
  await page.goto(`${base}/setup${code}`);
  await field(page, 'Dealer name').fill('星辰汽车 Star Motors');
  await field(page, 'Your name').fill('王总');
  await field(page, 'Username').fill('wang.admin');
  await field(page, 'Password').fill('star motors admin 2026');
  await field(page, 'Confirm password').fill('star motors admin 2026');
  await button(page, 'Create the dealer').click();
  await seeVisible(heading(page, 'Today'), 'Today for the new admin');
  await seeText(banner(page), '星辰汽车 Star Motors', 'the dealer name in the header');

  const managerTemp = await addPerson(page, base, { name: '李经理', username: 'li.manager', role: 'Manager' });

  // The manager, on a laptop, chooses a password and adds two salespeople.
  const laptop = await device({ viewport: { width: 1280, height: 800 } });
  await firstSignIn(laptop.page, base, 'li.manager', managerTemp, 'li manager passphrase');
  const temp1 = await addPerson(laptop.page, base, { name: '赵丽', username: 'zhao.li', role: 'Salesperson' });
  const temp2 = await addPerson(laptop.page, base, { name: '孙强', username: 'sun.qiang', role: 'Salesperson' });
  assert.notEqual(temp1, temp2);
  await seeVisible(laptop.page.getByText('赵丽', { exact: true }).first(), 'the first salesperson on the Team page');
  await seeVisible(laptop.page.getByText('孙强', { exact: true }).first(), 'the second salesperson on the Team page');

  // A salesperson's tablet: first sign-in, the service worker installs over
  // HTTPS on the showroom name, and the app keeps working offline.
  const tablet = await device();
  await firstSignIn(tablet.page, base, 'zhao.li', temp1, 'zhao li tablet phrase');
  await waitForServiceWorkerControl(tablet.page);
  const scope = await tablet.page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
  assert.equal(scope, `${base}/sw.js`);
  assert.equal(await tablet.page.evaluate(() => window.isSecureContext), true);
  await createLead(tablet.page, '陈先生', '13900002222');
  await seeSynced(tablet.page, 'after the first lead');
  await tablet.context.setOffline(true);
  await tablet.page.reload();
  assert.ok(tablet.page.url().startsWith(base), `the app, not an error page, loads offline (at ${tablet.page.url()})`);
  await seeVisible(heading(tablet.page, '陈先生'), 'the lead, offline after a reload');
  await tablet.page.goto(`${base}/leads`).catch(() => {});
  await seeVisible(tablet.page.getByText('陈先生').first(), 'the lead list offline');
  await createLead(tablet.page, '离线客户', '13900003333');
  await tablet.context.setOffline(false);
  await seeSynced(tablet.page, 'back online');
  // The manager's laptop receives both.
  await laptop.page.goto(`${base}/leads`);
  await seeVisible(laptop.page.getByText('离线客户').first(), 'the offline lead on the manager\'s laptop');
});

e2eTest('a scripted install is backed up while it runs and restored; the tablet re-sends what the restored server lost', fx, async ({ page, device, servers }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'showroom-e2e-backup-'));
  try {
    await serverCommand(dir, [
      'admin', 'create-dealer', '--name', 'Backup Motors', '--admin-username', 'bk.admin',
      '--admin-name', 'Backup Admin', '--password-stdin',
    ], { stdin: 'backup motors admin\n' });
    const out = await serverCommand(dir, [
      'admin', 'create-user', '--dealer', 'Backup Motors', '--username', 'bk.sales',
      '--name', 'Backup Sales', '--role', 'salesperson', '--password-stdin',
    ], { stdin: 'backup motors sales\n' });
    assert.match(out, /Created the user: bk\.sales/);

    const first = await startServer({ seedDemo: false, dir, keepDir: true });
    servers.push(first);
    const base = first.url;
    await login(page, base, 'bk.sales', 'backup motors sales');
    await waitForServiceWorkerControl(page);
    await createLead(page, 'Before Backup', '13900004444');
    await seeSynced(page, 'after the first lead');

    const backedUp = await serverCommand(dir, ['backup', 'now']);
    const file = /Backup written: (\S+\.db)/.exec(backedUp)?.[1];
    assert.ok(file, `the backup's file in:\n${backedUp}`);

    await createLead(page, 'After Backup', '13900005555');
    await seeSynced(page, 'after the lead the backup does not have');
    // A second tablet signs in after the backup: the restored server will
    // not know its session at all.
    const late = await device();
    await login(late.page, base, 'bk.sales', 'backup motors sales');
    await createLead(late.page, 'Late Tablet Lead', '13900006666');
    await seeSynced(late.page, 'on the tablet signed in after the backup');

    // The restore needs the server stopped: a running one refuses it.
    await assert.rejects(serverCommand(dir, ['restore', file]), /server is running/);
    await first.stop();
    const restored = await serverCommand(dir, ['restore', file]);
    assert.match(restored, /Restored/);
    const port = new URL(base).port;
    const second = await startServer({ seedDemo: false, dir, keepDir: true, addr: `127.0.0.1:${port}` });
    servers.push(second);

    // The tablet reconnects by itself, is told to start over, and re-sends.
    await seeSynced(page, 'after the restored server came back');
    // The late tablet's session is not in the backup: it is asked to sign in
    // again, keeps what it holds, and sends it once signed in.
    await seeVisible(
      late.page.getByText(/no longer knows this device.s session/),
      'the late tablet is told the server does not know its session',
      60_000,
    );
    await late.page.getByLabel('Username', { exact: true }).fill('bk.sales');
    await late.page.getByLabel('Password', { exact: true }).fill('backup motors sales');
    await button(late.page, 'Sign in').click();
    await seeText(banner(late.page), 'bk.sales', 'the late tablet signed in again');
    await late.page.goto(`${base}/leads`);
    await seeVisible(late.page.getByText('Late Tablet Lead').first(), 'the late tablet kept its lead');
    await seeSynced(late.page, 'on the late tablet after signing in again');
    const laptop = await device({ viewport: { width: 1280, height: 800 } });
    await login(laptop.page, base, 'bk.admin', 'backup motors admin');
    await laptop.page.goto(`${base}/leads`);
    await seeVisible(laptop.page.getByText('Before Backup').first(), 'the lead in the backup');
    await seeVisible(laptop.page.getByText('After Backup').first(), 'the lead the tablet re-sent', UI_TIMEOUT * 2);
    await seeVisible(laptop.page.getByText('Late Tablet Lead').first(), 'the late tablet\'s lead', UI_TIMEOUT * 2);
    await second.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
