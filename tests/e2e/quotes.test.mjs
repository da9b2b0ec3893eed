// Quotes (issue 9): sales1's tablet, offline, enters RULES.md's worked example (the totals and
// the monthly payment on screen to the fen, timed), then gives ¥10,000 off — over the dealer's
// 3 % limit — and requests approval; a forged approval from a salesperson's session is refused
// and the quote stays pending; the manager (another browser, online) approves it from the
// approvals inbox once the tablet reconnects; the tablet shows the approval, presents the quote
// (frozen from then on), the customer signs, the lead is ordered; the printed page (Chromium's
// PDF of the print layout) carries the total; two versions compare side by side.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  useFixtures, e2eTest, startServer, login, apiLogin, startSeedingDevice, waitForServiceWorkerControl,
  ARTIFACTS, heading, button, navLink, seeVisible, seeText, eventually, sign,
} from './harness.mjs';

const fx = useFixtures({ server: false });
const PORTRAIT = { width: 768, height: 1024 };
const LANDSCAPE = { width: 1280, height: 800 };
const TRIM = 'Ridge DM-i 200 km Ultra — ¥ 200,000.00';

/** Types an amount into a labelled money field and leaves it (which saves). */
async function amount(page, label, value) {
  const field = page.getByRole('textbox', { name: label, exact: true });
  await field.fill(value);
  await field.press('Tab');
}

const badge = (page) => page.locator('.record__head .badge');
const outTheDoor = (page) => page.getByTestId('out-the-door');
const monthly = (page) => page.getByTestId('monthly');

e2eTest(
  'an offline quote over the limit is approved by the manager, presented, signed and printed; a forged approval is refused',
  fx,
  async ({ t, first: s, device, servers }) => {
    const server = await startServer();
    servers.push(server);
    const base = server.url;
    const m = await device({ viewport: LANDSCAPE });
    await login(s.page, base, 'sales1');
    await waitForServiceWorkerControl(s.page);
    await login(m.page, base, 'manager');
    // The catalogue reached the tablet with its first sync.
    await seeVisible(heading(s.page, 'Demo cars'), 'the catalogue on the tablet');

    // --- The tablet, offline: a lead and its quote.
    await s.context.setOffline(true);
    await navLink(s.page, 'Leads').click();
    await s.page.getByRole('link', { name: 'New lead', exact: true }).click();
    await s.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill('钱女士');
    await s.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill('13700137000');
    await button(s.page, 'Save').click();
    await seeVisible(heading(s.page, '钱女士'), 'the new lead');

    // The standard quote: trim, colour, two items, insurance, finance — timed from the tap.
    const started = Date.now();
    await button(s.page, 'New quote').click();
    await s.page.getByLabel('Car', { exact: true }).selectOption({ label: TRIM });
    await button(s.page, '珍珠白 Pearl White').click();
    await button(s.page, '精品礼包 Accessory pack ¥ 3,000.00').click();
    await button(s.page, '上牌服务费 Plate registration ¥ 500.00').click();
    await amount(s.page, 'Third-party liability', '5000');
    await s.page.getByRole('checkbox', { name: 'Finance', exact: true }).check();
    await button(s.page, '30%').click();
    await button(s.page, '36').click();
    // RULES.md's worked example, to the fen.
    await seeText(outTheDoor(s.page), '¥ 218,299.56', 'the worked example\'s out-the-door total');
    await seeText(monthly(s.page), '¥ 4,102.29', 'the worked example\'s monthly payment');
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`standard quote: ${seconds.toFixed(1)} s from "New quote" to the monthly payment`);
    await writeFile(path.join(ARTIFACTS, 'quote-timing.txt'), `${seconds.toFixed(1)}\n`);
    assert.ok(seconds < 60, `a standard quote takes under a minute (${seconds.toFixed(1)} s)`);
    await seeVisible(s.page.getByRole('status').filter({ hasText: 'Saved on this device' }), '"Saved on this device"');
    await seeText(badge(s.page), 'Draft', 'a draft');

    // ¥10,000 off is 5 %: over the limit, so it needs a manager.
    await amount(s.page, 'Dealer discount', '10000');
    await seeVisible(s.page.getByText(/The discount is over the limit/), 'the over-limit notice');
    await seeText(outTheDoor(s.page), '¥ 207,857.08', 'the total with the discount (and its lower purchase tax)');
    await seeText(monthly(s.page), '¥ 3,897.18', '30 % down follows the price');
    assert.equal(await button(s.page, 'Present to the customer').count(), 0, 'it cannot be presented yet');
    await button(s.page, 'Request approval').click();
    await seeText(badge(s.page), 'Waiting for approval', 'the request, offline');
    // Printed now, it is a draft: an unapproved discount never leaves as an offer.
    await s.page.emulateMedia({ media: 'print' });
    await seeText(s.page.locator('.quote-print'), /Draft — not valid as an offer/, 'the pending quote printed as a draft');
    await s.page.emulateMedia({ media: 'screen' });
    const [, leadId, versionId] = new URL(s.page.url()).pathname.match(/^\/leads\/([^/]+)\/quotes\/([^/]+)$/) || [];
    assert.ok(leadId && versionId, `the quote's address: ${s.page.url()}`);

    // The manager's inbox is empty while the tablet is offline.
    await navLink(m.page, 'Approvals').click();
    await seeVisible(m.page.getByText('No quotes are waiting for approval.'), 'an empty inbox');

    // --- The tablet reconnects; a forged approval (another session of the
    // salesperson, who may see the lead) is refused.
    await s.context.setOffline(false);
    await seeVisible(m.page.getByRole('heading', { name: /钱女士/ }), "the request in the manager's inbox");
    const sales1 = await apiLogin(base, 'sales1', undefined, 'forging tablet');
    const forger = startSeedingDevice({ url: base, token: sales1.token, dealer: sales1.session.dealer.id, user: sales1.session.user.id });
    try {
      assert.equal(await forger.command(`forge-approval ${leadId} ${versionId}`), 'refused forbidden', "a salesperson's approval is refused");
    } finally {
      await forger.stop();
    }
    await seeText(badge(s.page), 'Waiting for approval', 'still pending on the tablet after the forgery');
    const card = m.page.getByRole('listitem').filter({ has: m.page.getByRole('heading', { name: /钱女士/ }) });
    await seeVisible(card.getByText('Car margin'), 'the margin for the manager');
    await card.getByRole('textbox', { name: 'Comment for the salesperson', exact: true }).fill('同意，本月冲量');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await seeVisible(m.page.getByText('No quotes are waiting for approval.'), 'the inbox empties');

    // --- The tablet sees the decision, presents, and the customer signs.
    await seeText(badge(s.page), 'Approved', 'the approval on the tablet');
    await seeVisible(s.page.getByText('Approved by a manager: 同意，本月冲量'), "the manager's comment");
    await button(s.page, 'Present to the customer').click();
    await seeText(badge(s.page), 'Presented', 'presented');
    await seeVisible(s.page.getByText(/cannot change/), 'frozen');
    assert.ok(await s.page.getByRole('textbox', { name: 'Dealer discount', exact: true }).isDisabled(), 'its terms are locked');
    await button(s.page, 'Customer accepts').click();
    await sign(s.page, { strokes: 2 });
    await button(s.page, 'Sign and place the order').click();
    await seeText(badge(s.page), 'Accepted: ordered', 'accepted');

    // --- The print layout and its PDF.
    await s.page.emulateMedia({ media: 'print' });
    const printed = s.page.locator('.quote-print');
    await seeVisible(printed, 'the printed quote');
    assert.equal(await printed.getByText('Draft — not valid as an offer').count(), 0, 'an accepted, approved quote is not a draft');
    await seeText(printed.locator('tr.strong').filter({ hasText: 'Out-the-door total' }), '¥ 207,857.08', 'the printed total');
    await seeText(printed, /Loan ¥ 133,000.00 over 36 months at 3.50 %: ¥ 3,897.18 a month/, 'the printed finance');
    await seeVisible(printed.getByRole('img', { name: "Customer's signature" }), 'the signature on paper');
    assert.equal(await s.page.getByRole('button', { name: 'Customer accepts' }).isVisible(), false, 'no app chrome on paper');
    const pdf = await s.page.pdf({ format: 'A4', printBackground: true });
    await writeFile(path.join(ARTIFACTS, 'quote.pdf'), pdf);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) || []).length;
    assert.equal(pages, 1, 'the quote prints on one A4 page');
    await s.page.emulateMedia({ media: 'screen' });

    // --- A new version compares with the first; the lead is ordered.
    await button(s.page, 'New version').click();
    await eventually(async () => !s.page.url().endsWith(versionId), 'a new version opens');
    await amount(s.page, 'Dealer discount', '4000');
    await seeText(badge(s.page), 'Draft', 'v2 within the limit is a draft');
    await s.page.getByLabel('Compare with', { exact: true }).selectOption({ label: 'v1' });
    const diff = s.page.locator('.compare-table tr').filter({ hasText: 'Dealer discount' });
    await seeText(diff, '+¥ 6,000.00', 'the discount difference');
    await s.page.getByRole('link', { name: '钱女士' }).click();
    await seeText(s.page.getByLabel('Stage', { exact: true }).locator('option:checked'), 'Ordered', 'the lead is ordered');
    const quotes = s.page.getByRole('region', { name: 'Quotes' });
    await seeVisible(quotes.getByRole('link').filter({ hasText: 'Accepted: ordered' }), 'v1 accepted in the lead');
    await seeVisible(quotes.getByRole('link').filter({ hasText: 'Draft' }), 'v2 a draft');
  },
  { timeout: 240_000, viewport: PORTRAIT },
);
