// Ownership inside the dealer (issue 21): sales1 captures a lead offline with a
// note; sales2's tablet never shows it and its IndexedDB never holds it; the
// manager hands the lead to sales2 while sales1 is offline with another
// unsynced note on it; sales2 receives the whole lead; sales1 reconnects, its
// note reaches sales2, the lead leaves sales1's IndexedDB, and the manager's
// screen turns from "waiting" to "removed from 1 of 1 device".

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
    // sales1's list no longer offers it.
    await navLink(a.page, 'Leads').click();
    await seeText(syncStatus(a.page), 'Synced', "sales1's tablet synced again", 30_000);
    assert.equal(await a.page.getByRole('link', { name: /^\s*欧阳女士/ }).count(), 0, "not in sales1's list");
  },
  { viewport: PORTRAIT, timeout: 300_000 },
);
