// The open pool and collisions (issue 22). sales1 and sales2, both offline,
// capture the same mobile with different names and a note each; both
// reconnect; each sees the collision notice naming the other; the manager
// merges on the laptop; the survivor holds both histories (in IndexedDB),
// the absorbed lead leaves sales2's tablet, and its address opens the
// survivor. Then two claims of one pool lead made offline: the first to
// reach the server wins, the other tablet is told who claimed first.

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl, heading, button,
  navLink, syncStatus, seeVisible, seeText, eventually, indexedDbStoresContaining,
  deviceDocuments, ROOT,
} from './harness.mjs';

const fx = useFixtures({ server: false });
const LANDSCAPE = { width: 1280, height: 800 };
const PORTRAIT = { width: 768, height: 1024 };
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
const LIVE_TIMEOUT = 30_000;

const notesList = (page) => page.getByRole('list', { name: 'Notes', exact: true });

/** A new lead with a note, on `page`; its id. */
async function capture(page, name, mobile, note) {
  await navLink(page, 'Leads').click();
  await page.getByRole('link', { name: 'New lead', exact: true }).click();
  await page.getByRole('textbox', { name: 'Customer name', exact: true }).fill(name);
  await page.getByRole('textbox', { name: 'Mobile', exact: true }).fill(mobile);
  await button(page, 'Save').click();
  await seeVisible(heading(page, name), `the new lead ${name}`);
  const id = page.url().split('/leads/')[1].split(/[/?#]/)[0];
  await page.getByRole('textbox', { name: 'New note', exact: true }).fill(note);
  await button(page, 'Add note').click();
  await seeVisible(notesList(page).getByText(note, { exact: true }), `the note "${note}"`);
  return id;
}

/** A fresh server; sales1 on `a`, sales2 on a second tablet, the manager on a laptop. */
async function signedIn(a, device, servers) {
  const server = await startServer();
  servers.push(server);
  const base = server.url;
  const b = await device({ viewport: PORTRAIT });
  const m = await device({ viewport: LANDSCAPE });
  await login(a.page, base, 'sales1');
  await waitForServiceWorkerControl(a.page);
  await login(b.page, base, 'sales2');
  await waitForServiceWorkerControl(b.page);
  await login(m.page, base, 'manager');
  return { base, b, m };
}

const collisions = (page) => page.getByRole('region', { name: 'Same mobile number', exact: true });

e2eTest(
  'the same customer captured offline on two tablets is found at sync, each owner is told, and the manager merges without losing a thing',
  fx,
  async ({ first: a, device, servers }) => {
    const { base, b, m } = await signedIn(a, device, servers);

    // Both offline, the same number typed two ways, two names.
    await a.context.setOffline(true);
    await b.context.setOffline(true);
    const one = await capture(a.page, '司马先生', '138 0013 8765', '想看白色的');
    const two = await capture(b.page, '司马建国', '+86 13800138765', '下周带太太来');

    // Both reconnect: each lead is told of the other, never its contents.
    await a.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', "sales1's tablet synced", LIVE_TIMEOUT);
    await b.context.setOffline(false);
    await seeText(syncStatus(b.page), 'Synced', "sales2's tablet synced", LIVE_TIMEOUT);
    await seeText(collisions(a.page), /Also a lead of Zhang Min since/, "sales1's lead names sales2", LIVE_TIMEOUT);
    await seeText(collisions(b.page), /Also a lead of Li Wei since/, "sales2's lead names sales1", LIVE_TIMEOUT);
    assert.deepEqual((await indexedDbStoresContaining(a.page, '司马建国')).found, [], "nothing of sales2's lead on sales1's tablet");
    assert.deepEqual((await indexedDbStoresContaining(b.page, '司马先生')).found, [], "nothing of sales1's lead on sales2's tablet");
    await b.page.screenshot({ path: path.join(SHOTS, 'collision-notice-en-768x1024.png') });

    // The manager merges sales2's lead into sales1's, on the laptop.
    await m.page.goto(`${base}/leads/${one}`);
    await seeVisible(heading(m.page, '司马先生'), 'the lead on the manager’s laptop');
    const merge = button(m.page, 'Merge the other lead into this one');
    await seeVisible(merge, 'the merge button', LIVE_TIMEOUT);
    await m.page.screenshot({ path: path.join(SHOTS, 'collision-merge-en-1280x800.png') });
    await merge.click();
    await seeText(collisions(m.page), /The other lead was merged into this one/, 'the decision, on the survivor', LIVE_TIMEOUT);
    await seeText(collisions(m.page), /Merged in: 司马建国, captured by Zhang Min/, 'what the survivor took in');
    await seeVisible(notesList(m.page).getByText('下周带太太来', { exact: true }), "sales2's note in the survivor");
    await seeVisible(notesList(m.page).getByText('想看白色的', { exact: true }), "sales1's note stays");

    // sales1's tablet holds one lead with both histories.
    await a.page.goto(`${base}/leads/${one}`);
    await seeVisible(notesList(a.page).getByText('下周带太太来', { exact: true }), "sales2's note on sales1's tablet", LIVE_TIMEOUT);
    const held = (await indexedDbStoresContaining(a.page, '下周带太太来')).found;
    assert.ok(held.some((s) => s.endsWith('/docs') || s.endsWith('/doc_changes')), `the survivor's document holds it: ${held}`);

    // The absorbed lead leaves sales2's tablet and the manager's laptop.
    await eventually(async () => !(await deviceDocuments(b.page)).includes(`lead:${two}`), "the absorbed lead leaves sales2's IndexedDB", LIVE_TIMEOUT);
    assert.deepEqual((await indexedDbStoresContaining(b.page, '司马建国')).found, [], 'nothing of it is left on sales2’s tablet');
    await eventually(async () => !(await deviceDocuments(m.page)).includes(`lead:${two}`), "and the manager's", LIVE_TIMEOUT);
    // Its address opens the survivor.
    await m.page.goto(`${base}/leads/${two}`);
    await seeVisible(heading(m.page, '司马先生'), 'the absorbed lead’s address opens the survivor', LIVE_TIMEOUT);
    assert.ok(m.page.url().includes(one), 'on the survivor’s address');
  },
  { viewport: PORTRAIT, timeout: 300_000 },
);

e2eTest(
  'two salespeople claim one pool lead offline: the first to reach the server keeps it, the other is told who claimed first',
  fx,
  async ({ first: a, device, servers }) => {
    const { base, b, m } = await signedIn(a, device, servers);

    // The manager puts a new lead in the pool.
    const id = await capture(m.page, '欧先生', '13700137777', '官网留资');
    const owner = m.page.getByRole('combobox', { name: 'Owner', exact: true });
    await owner.selectOption({ label: 'Pool (no owner)' });
    await seeText(m.page.locator('main'), 'Saved on this device', 'put in the pool');
    await seeText(syncStatus(m.page), 'Synced', 'the pool lead reached the server', LIVE_TIMEOUT);

    // Both tablets see it in the pool, with how long it has waited.
    for (const t of [a, b]) {
      await navLink(t.page, 'Leads').click();
      await t.page.getByRole('combobox', { name: 'Filter by owner', exact: true }).selectOption('pool');
      await seeVisible(t.page.getByRole('button', { name: 'Claim 欧先生', exact: true }), 'the pool lead, claimable', LIVE_TIMEOUT);
      await seeText(t.page.locator('.lead-row').filter({ hasText: '欧先生' }), /Waiting 0 h of 24 h/, 'its wait against the target');
    }
    await a.page.screenshot({ path: path.join(SHOTS, 'pool-en-768x1024.png') });

    // Both claim it offline; each sees it as theirs.
    await a.context.setOffline(true);
    await b.context.setOffline(true);
    for (const t of [a, b]) {
      await t.page.getByRole('button', { name: 'Claim 欧先生', exact: true }).click();
      await seeText(t.page.locator('.lead-list__claimed'), 'Claimed. Saved on this device.', 'claimed on the device');
    }
    // sales1's claim reaches the server first.
    await a.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', "sales1's claim delivered", LIVE_TIMEOUT);
    await b.context.setOffline(false);
    const notice = b.page.getByRole('status').filter({ hasText: 'claimed a lead first' });
    await seeText(notice, /Li Wei claimed a lead first/, 'sales2 is told who claimed first', LIVE_TIMEOUT);
    await eventually(async () => !(await deviceDocuments(b.page)).includes(`lead:${id}`), "the lead leaves sales2's tablet", LIVE_TIMEOUT);
    await b.page.screenshot({ path: path.join(SHOTS, 'claimed-first-en-768x1024.png') });
    await button(b.page, 'OK').click();
    assert.equal(await notice.count(), 0, 'the notice is read once');
    // sales1 keeps it; the manager sees it as Li Wei's.
    await a.page.goto(`${base}/leads/${id}`);
    await seeVisible(heading(a.page, '欧先生'), 'sales1 keeps the lead');
    await m.page.goto(`${base}/leads/${id}`);
    await eventually(
      async () => (await owner.locator('option:checked').innerText()) === 'Li Wei',
      'Li Wei as the owner on the manager’s laptop',
      LIVE_TIMEOUT,
    );
  },
  { viewport: PORTRAIT, timeout: 300_000 },
);

e2eTest(
  'with rotation on, a walk-in is offered to the next salesperson on the floor, and the line moves on',
  fx,
  async ({ first: a, device, servers }) => {
    const server = await startServer();
    servers.push(server);
    const base = server.url;
    const b = await device({ viewport: PORTRAIT });
    const m = await device({ viewport: LANDSCAPE });
    await login(m.page, base, 'manager');
    // The manager turns rotation on in the showroom rules.
    await m.page.goto(`${base}/settings/catalogue`);
    const rules = m.page.getByRole('form', { name: 'Showroom rules' });
    await seeVisible(rules, 'the showroom rules');
    await rules.getByRole('checkbox', { name: /Walk-in rotation/ }).check();
    await rules.getByRole('button', { name: 'Save', exact: true }).click();
    await seeText(rules, 'Saved on this device', 'the rules saved');
    await seeText(syncStatus(m.page), 'Synced', 'the rules reached the server', LIVE_TIMEOUT);

    // Zhang Min, then Li Wei, say they are on the floor.
    await login(b.page, base, 'sales2');
    const rotation = (page) => page.getByRole('region', { name: 'Walk-in rotation', exact: true });
    await seeVisible(rotation(b.page), "the rotation on sales2's Today", LIVE_TIMEOUT);
    await button(b.page, "I'm on the floor").click();
    await seeText(rotation(b.page), /You're on the floor since/, 'sales2 on the floor');
    await seeText(syncStatus(b.page), 'Synced', "sales2's place reached the server", LIVE_TIMEOUT);
    await login(a.page, base, 'sales1');
    await waitForServiceWorkerControl(a.page);
    await seeText(rotation(a.page), /Zhang Min · 0 walk-ins today/, 'the line on sales1’s tablet', LIVE_TIMEOUT);
    await button(a.page, "I'm on the floor").click();
    await seeText(rotation(a.page), /Me · 0 walk-ins today/, 'sales1 in line after Zhang Min');

    // Offline, sales1 logs a walk-in: Zhang Min is next, and takes it.
    await a.context.setOffline(true);
    await button(a.page, 'Walk-in').click();
    await seeVisible(heading(a.page, 'Visit'), 'the visit page');
    const offer = a.page.getByRole('group', { name: 'Walk-in rotation', exact: true });
    await seeText(offer, 'Next in line: Zhang Min.', 'the walk-in offered to the next in line');
    await a.page.screenshot({ path: path.join(SHOTS, 'rotation-walk-in-en-768x1024.png') });
    await button(a.page, 'Give to Zhang Min').click();
    await seeVisible(a.page.getByText('Zhang Min takes this walk-in. Saved on this device.'), 'given, saved offline');
    await a.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', 'the walk-in reached the server', LIVE_TIMEOUT);
    // The line moved on, on every device: Li Wei is next now.
    await seeText(rotation(b.page).locator('.rotation__place--next'), /Li Wei · 0 walk-ins today/, "sales2's Today: Li Wei next", LIVE_TIMEOUT);
    await seeText(rotation(b.page), /Me · 1 walk-in today/, 'sales2 took one');
    await navLink(m.page, 'Today').click();
    await seeText(rotation(m.page), /Zhang Min · 1 walk-in today/, 'the manager sees who took which', LIVE_TIMEOUT);
    await m.page.screenshot({ path: path.join(SHOTS, 'rotation-today-manager-en-1280x800.png') });

    // The same screen in Chinese on a laptop: the next walk-in is Li Wei's own.
    const zh = await device({ viewport: LANDSCAPE, locale: 'zh-CN' });
    await zh.page.goto(`${base}/login`);
    await zh.page.getByLabel('用户名', { exact: true }).fill('sales1');
    await zh.page.getByLabel('密码', { exact: true }).fill('showroom');
    await zh.page.getByRole('button', { name: '登录', exact: true }).click();
    await seeVisible(zh.page.getByRole('region', { name: '接待轮序', exact: true }), 'the rotation in Chinese', LIVE_TIMEOUT);
    await button(zh.page, '到店登记').click();
    await seeText(zh.page.locator('main'), '轮到你接待', 'Li Wei is next in line now', LIVE_TIMEOUT);
    await zh.page.screenshot({ path: path.join(SHOTS, 'rotation-walk-in-zh-1280x800.png') });
  },
  { viewport: PORTRAIT, timeout: 300_000 },
);
