// Ownership inside the dealer (issue 21): sales1 captures a lead offline with a
// note; sales2's tablet never shows it and its IndexedDB never holds it; the
// manager hands the lead to sales2 while sales1 is offline with another
// unsynced note on it; sales2 receives the whole lead; sales1 reconnects, its
// note reaches sales2, the lead leaves sales1's IndexedDB, and the manager's
// screen turns from "waiting" to "removed from 1 of 1 device". And a session
// the manager ends still delivers the note typed offline before the tablet
// is cleared.

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl, heading, button,
  navLink, syncStatus, seeVisible, seeText, eventually, indexedDbStoresContaining,
  deviceDocuments, ROOT, api, apiLogin, banner,
} from './harness.mjs';

const fx = useFixtures({ server: false });
const LANDSCAPE = { width: 1280, height: 800 };
const PORTRAIT = { width: 768, height: 1024 };
const SHOTS = path.join(ROOT, 'docs', 'screenshots');
/** Live delivery on a busy 2-core machine. */
const LIVE_TIMEOUT = 20_000;

const notesList = (page) => page.getByRole('list', { name: 'Notes', exact: true });

async function addNote(page, text) {
  await page.getByRole('textbox', { name: 'New note', exact: true }).fill(text);
  await button(page, 'Add note').click();
  await seeVisible(notesList(page).getByText(text, { exact: true }), `the note "${text}"`);
}

e2eTest(
  "a lead handed from sales1 to sales2 moves with everything sales1 typed, leaves sales1's tablet, and the manager sees it removed",
  fx,
  async ({ first: a, device, servers }) => {
    const server = await startServer();
    servers.push(server);
    const base = server.url;
    const b = await device({ viewport: PORTRAIT });
    const m = await device({ viewport: LANDSCAPE });
    await login(a.page, base, 'sales1');
    await waitForServiceWorkerControl(a.page);
    await login(b.page, base, 'sales2');
    await login(m.page, base, 'manager');

    // --- sales1, offline: a new lead with a note.
    await a.context.setOffline(true);
    await navLink(a.page, 'Leads').click();
    await a.page.getByRole('link', { name: 'New lead', exact: true }).click();
    await a.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill('欧阳女士');
    await a.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill('13600136001');
    await button(a.page, 'Save').click();
    await seeVisible(heading(a.page, '欧阳女士'), "the new lead's record");
    const leadUrl = a.page.url();
    const leadId = leadUrl.split('/leads/')[1].split(/[/?#]/)[0];
    await addNote(a.page, '想要白色');
    await a.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', "sales1's tablet synced", 30_000);

    // --- sales2 never has it: not on screen, not in IndexedDB.
    await navLink(b.page, 'Leads').click();
    await seeText(syncStatus(b.page), 'Synced', "sales2's tablet synced", 30_000);
    assert.equal(await b.page.getByText('欧阳女士').count(), 0, "sales1's lead is not in sales2's list");
    assert.deepEqual((await indexedDbStoresContaining(b.page, '欧阳女士')).found, [], "nor in sales2's IndexedDB");
    assert.ok(!(await deviceDocuments(b.page)).includes(`lead:${leadId}`), "sales2's device holds no document of it");

    // --- sales1 goes offline and adds a note the server has not seen.
    await a.context.setOffline(true);
    await addNote(a.page, '周六再来，带家人');

    // --- The manager hands the lead to sales2.
    await m.page.goto(`${base}/leads/${leadId}`);
    await seeVisible(heading(m.page, '欧阳女士'), "the lead on the manager's laptop");
    const owner = m.page.getByRole('combobox', { name: 'Owner', exact: true });
    await eventually(async () => (await owner.locator('option').allInnerTexts()).includes('Zhang Min'), 'Zhang Min among the owners');
    await owner.selectOption({ label: 'Zhang Min' });
    await seeText(m.page.locator('main'), 'Saved on this device', 'the hand-over saved');
    const receipts = m.page.locator('.owner-field__receipts');
    await seeText(receipts, /Removed from 0 of 1 device/, 'the manager waits for sales1’s tablet', LIVE_TIMEOUT);
    await seeText(receipts, /Waiting for .*\(Li Wei\), last seen/, 'which device, whose, last seen when');
    await receipts.scrollIntoViewIfNeeded();
    await m.page.screenshot({ path: path.join(SHOTS, 'lead-receipts-waiting-en-1280x800.png') });

    // --- sales2 receives the whole lead (the first note), live.
    await navLink(b.page, 'Leads').click();
    const row = b.page.getByRole('link', { name: /^\s*欧阳女士/ });
    await seeVisible(row, "the lead in sales2's list", LIVE_TIMEOUT);
    await row.click();
    await seeVisible(notesList(b.page).getByText('想要白色', { exact: true }), 'the note sales1 wrote before the hand-over');

    // --- sales1 reconnects: its offline note reaches sales2; the lead leaves sales1.
    await a.context.setOffline(false);
    await seeVisible(notesList(b.page).getByText('周六再来，带家人', { exact: true }), "sales1's offline note on sales2's tablet", 30_000);
    await eventually(
      async () => !(await deviceDocuments(a.page)).includes(`lead:${leadId}`),
      "the lead's document leaves sales1's IndexedDB",
      30_000,
    );
    assert.deepEqual((await indexedDbStoresContaining(a.page, '欧阳女士')).found, [], "nothing of the customer is left on sales1's tablet");
    await seeText(receipts, /Removed from 1 of 1 device/, "the manager sees the receipt", 30_000);
    await receipts.scrollIntoViewIfNeeded();
    await m.page.screenshot({ path: path.join(SHOTS, 'lead-receipts-done-en-1280x800.png') });
    // The same receipt on a manager's tablet in Chinese.
    const zh = await device({ viewport: PORTRAIT, locale: 'zh-CN' });
    await zh.page.goto(`${base}/login`);
    await zh.page.getByLabel('用户名', { exact: true }).fill('manager');
    await zh.page.getByLabel('密码', { exact: true }).fill('showroom');
    await zh.page.getByRole('button', { name: '登录', exact: true }).click();
    await seeText(banner(zh.page), 'manager', 'signed in as the manager, in Chinese');
    await zh.page.goto(`${base}/leads/${leadId}`);
    const zhReceipts = zh.page.locator('.owner-field__receipts');
    await seeText(zhReceipts, /已从 1 台设备中的 1 台移除/, 'the receipt, in Chinese', 30_000);
    await zhReceipts.scrollIntoViewIfNeeded();
    await zh.page.screenshot({ path: path.join(SHOTS, 'lead-receipts-done-zh-768x1024.png') });
    // sales1's list no longer offers it.
    await navLink(a.page, 'Leads').click();
    await seeText(syncStatus(a.page), 'Synced', "sales1's tablet synced again", 30_000);
    assert.equal(await a.page.getByRole('link', { name: /^\s*欧阳女士/ }).count(), 0, "not in sales1's list");
  },
  { viewport: PORTRAIT, timeout: 300_000 },
);

e2eTest(
  'a session the manager ends still delivers the note typed offline, then the tablet is cleared and says why',
  fx,
  async ({ first: a, device, servers }) => {
    const server = await startServer();
    servers.push(server);
    const base = server.url;
    const signedIn = await login(a.page, base, 'sales1');
    await waitForServiceWorkerControl(a.page);
    await navLink(a.page, 'Leads').click();
    await a.page.getByRole('link', { name: 'New lead', exact: true }).click();
    await a.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill('鲁先生');
    await a.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill('13600136002');
    await button(a.page, 'Save').click();
    await seeVisible(heading(a.page, '鲁先生'), "the new lead's record");
    const leadId = a.page.url().split('/leads/')[1].split(/[/?#]/)[0];
    await seeText(syncStatus(a.page), 'Synced', 'the lead reached the server', 30_000);

    // Offline, a note the server has not seen; meanwhile the manager ends
    // the tablet's session (it is not lost: it may deliver).
    await a.context.setOffline(true);
    await addNote(a.page, '交车前再确认颜色');
    const manager = await apiLogin(base, 'manager');
    const ended = await api(
      base,
      'DELETE',
      `/api/v1/users/${signedIn.session.user.id}/devices/${signedIn.session.device.id}`,
      { token: manager.token },
    );
    assert.equal(ended.status, 204, 'the manager ended the session');

    // Back online: the tablet delivers, is cleared, and says so.
    await a.context.setOffline(false);
    await seeText(
      a.page.getByRole('status').filter({ hasText: 'delivered first' }),
      /What it had not synced was delivered first/,
      'the sign-in page says the work was delivered before the device was cleared',
      30_000,
    );
    await seeVisible(heading(a.page, 'Sign in'), 'the sign-in page');
    assert.deepEqual((await indexedDbStoresContaining(a.page, '鲁先生')).found, [], 'the tablet holds nothing of the customer');
    await a.page.screenshot({ path: path.join(SHOTS, 'session-ended-delivered-en-768x1024.png') });

    // The note reached the dealer.
    const m = await device({ viewport: LANDSCAPE });
    await login(m.page, base, 'manager');
    await m.page.goto(`${base}/leads/${leadId}`);
    await seeVisible(notesList(m.page).getByText('交车前再确认颜色', { exact: true }), 'the note typed after the last sync, on the manager’s laptop', 30_000);
  },
  { viewport: PORTRAIT, timeout: 240_000 },
);
