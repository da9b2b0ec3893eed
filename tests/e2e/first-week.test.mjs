// The first week on the floor (issue 19, part 1): what a salesperson must
// never lose or be misled by. A salesperson is never offered an approval
// (offline included) and a refused change is never shown as made; signing
// out with unsynced work asks first; a lead's edits are saved as each field
// is finished and when the page is left; the lead list and Today agree on
// the next follow-up.

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  ARTIFACTS,
  useFixtures, e2eTest, login, waitForServiceWorkerControl, banner, heading, button,
  navLink, seeVisible, seeHidden, seeText, eventually, syncStatus,
} from './harness.mjs';

const fx = useFixtures();

/** The date `days` from today, as a date input takes it (the dealer's zone is UTC+8). */
function isoDay(days) {
  const d = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
  return d.toISOString().slice(0, 10);
}

async function newLead(page, name, mobile) {
  await navLink(page, 'Leads').click();
  await page.getByRole('link', { name: 'New lead', exact: true }).click();
  await page.getByRole('textbox', { name: 'Customer name', exact: true }).fill(name);
  await page.getByRole('textbox', { name: 'Mobile', exact: true }).fill(mobile);
  await button(page, 'Save').click();
  await seeVisible(heading(page, name), `the new lead ${name}`);
  return page.url();
}

e2eTest('a salesperson is never offered the approvals inbox, online or offline', fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales1');
  await waitForServiceWorkerControl(page);
  await seeVisible(heading(page, 'Today'), 'Today');
  // Today's line about quotes waiting is not a way into the inbox.
  const line = page.getByTestId('quotes-line');
  await seeVisible(line, "Today's line about quotes waiting");
  assert.equal(await line.getByRole('link').count(), 0, 'no link to the approvals inbox for a salesperson');
  for (const offline of [false, true]) {
    await page.context().setOffline(offline);
    await page.goto(`${base}/approvals`);
    await seeVisible(page.getByText("You don't have access to this page."), `the no-access notice (${offline ? 'offline' : 'online'})`);
    assert.equal(await page.getByRole('button', { name: 'Approve', exact: true }).count(), 0, 'no Approve button');
    assert.equal(await page.getByText(/margin/i).count(), 0, 'no margins');
  }
  await page.context().setOffline(false);
});

e2eTest('signing out with unsynced work says how many and offers to stay signed in; nothing is lost', fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales1');
  await waitForServiceWorkerControl(page);
  await page.context().setOffline(true);
  await newLead(page, '周先生 (first week)', '13700137001');
  await seeText(syncStatus(page), /1 waiting/, 'one change waiting');

  await button(banner(page), 'Sign out').click();
  const dialog = page.getByRole('alertdialog', { name: 'Sign out' });
  await seeVisible(dialog, 'the sign-out question');
  // One change, in the singular (plural forms, issue 20 §6).
  await seeText(dialog, /1 change on this device has not reached the server yet/, 'how much would be lost');
  await seeText(dialog, /You are offline/, 'that it is offline');
  assert.equal(await dialog.getByRole('button', { name: 'Sync first, then sign out' }).count(), 0, 'no sync offline');
  await seeVisible(dialog.getByRole('button', { name: 'Sign out and delete them' }), 'the explicit discard');
  // Focus is in the dialog; Escape closes it and leaves the person signed in.
  await eventually(
    () => page.evaluate(() => document.activeElement?.closest('[role=alertdialog]') != null),
    () => 'the dialog takes focus',
  );
  await page.keyboard.press('Escape');
  await seeHidden(dialog, 'the dialog after Escape');
  await seeText(banner(page), 'sales1', 'still signed in');
  await button(banner(page), 'Sign out').click();
  await dialog.getByRole('button', { name: 'Stay signed in', exact: true }).click();
  await seeHidden(dialog, 'the dialog after "Stay signed in"');
  await seeText(syncStatus(page), /1 waiting/, 'the change still waits');

  // Back online, the change syncs; then signing out asks nothing.
  await page.context().setOffline(false);
  await seeText(syncStatus(page), /Synced/, 'synced once online', 30_000);
  await button(banner(page), 'Sign out').click();
  await seeVisible(page.getByRole('button', { name: 'Sign in', exact: true }), 'the sign-in page, without a question');
});

e2eTest("a lead's edits are saved as each field is finished and when the page is left", fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales2');
  const address = await newLead(page, '吴女士 (first week)', '13700137002');
  // Typed, then straight to Today without pressing anything else.
  await page.getByRole('textbox', { name: 'WeChat', exact: true }).fill('wu_nvshi');
  await page.getByRole('textbox', { name: 'City', exact: true }).fill('苏州');
  await navLink(page, 'Today').click();
  await seeVisible(heading(page, 'Today'), 'Today');
  await page.goto(address);
  await seeVisible(heading(page, '吴女士 (first week)'), 'the lead again');
  await eventually(
    async () => (await page.getByRole('textbox', { name: 'WeChat', exact: true }).inputValue()) === 'wu_nvshi'
      && (await page.getByRole('textbox', { name: 'City', exact: true }).inputValue()) === '苏州',
    () => 'the WeChat id and the city typed before leaving are kept',
  );
  // A chip tapped is saved at once, and says so.
  await page.getByRole('button', { name: 'H', exact: true }).click();
  await seeText(page.getByRole('status').filter({ hasText: 'Saved on this device' }), 'Saved on this device', 'the saved confirmation');
  await page.reload();
  await seeVisible(heading(page, '吴女士 (first week)'), 'the lead after a reload');
  assert.equal(await page.getByRole('textbox', { name: 'City', exact: true }).inputValue(), '苏州');
  assert.equal(await page.getByRole('button', { name: 'Save changes', exact: true }).count(), 0, 'no Save button to forget');
});

e2eTest('the lead list and Today agree on an overdue follow-up', fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales2');
  await newLead(page, '郑先生 (first week)', '13700137003');
  const followUp = page.getByRole('region', { name: 'Follow-up' });
  await page.getByLabel('Due date', { exact: true }).fill(isoDay(-2));
  await page.getByLabel('Time', { exact: true }).fill('09:30');
  await button(page, 'Add a task').click();
  await seeVisible(followUp.locator('.task-row--late').first(), 'an overdue task');
  await navLink(page, 'Leads').click();
  const row = page.getByRole('link').filter({ hasText: '郑先生 (first week)' });
  await seeText(row, /Overdue ·/, 'the list says the follow-up is overdue, not "No follow-up set"');
  await navLink(page, 'Today').click();
  await seeVisible(page.getByRole('link').filter({ hasText: '郑先生 (first week)' }).first(), "the lead in Today's work");
  assert.equal(await page.getByText('No follow-ups due today.').count(), 0, 'Today does not also say there is nothing due');

  // "No answer, again tomorrow" in two taps on Today's row.
  const overdueRow = page.locator('.task-row--late').filter({ hasText: '郑先生 (first week)' });
  await seeVisible(overdueRow, "the overdue row on Today");
  const before = await page.locator('.task-row--late').filter({ hasText: '郑先生 (first week)' }).count();
  await overdueRow.first().getByRole('button', { name: 'No answer · 郑先生 (first week)', exact: true }).click();
  await overdueRow.first().getByRole('button', { name: 'Again tomorrow', exact: true }).click();
  await eventually(
    async () => (await page.locator('.task-row--late').filter({ hasText: '郑先生 (first week)' }).count()) === before - 1,
    () => 'the completed task leaves the overdue list',
  );
});

e2eTest('every problem of a test drive shows at its control, the first in view and focused, never beside "Saved"', fx, async ({ page }) => {
  const base = fx.server.url;
  await login(page, base, 'sales2');
  await newLead(page, '冯女士 (first week)', '13700137004');
  await page.getByRole('link', { name: 'Book a test drive', exact: true }).click();
  await page.getByRole('radio').first().check();
  await button(page, 'Test drive now').click();
  await seeVisible(page.getByRole('heading', { name: 'Before the car leaves' }), 'the departure form');
  await button(page, 'Start the drive').click();
  // Every problem at once, each at its control.
  const errors = page.locator('.field__error[role=alert]').filter({ hasText: /\S/ });
  await eventually(async () => (await errors.count()) >= 2, () => 'several problems shown at once');
  let where;
  await eventually(
    async () => {
      where = await page.evaluate(() => {
        const el = document.activeElement;
        const r = el?.getBoundingClientRect();
        const described = el?.getAttribute('aria-describedby')?.split(' ').map((id) => document.getElementById(id)).find(Boolean);
        const e = described?.getBoundingClientRect();
        return {
          invalid: el?.getAttribute('aria-invalid'),
          inView: !!r && r.top >= 0 && r.bottom <= window.innerHeight,
          errorText: described?.textContent ?? '',
          errorInView: !!e && e.top >= 0 && e.bottom <= window.innerHeight,
        };
      });
      return where.invalid === 'true' && where.inView && where.errorInView && where.errorText.trim() !== '';
    },
    () => `the first control in question is focused and in view with its error: ${JSON.stringify(where)}`,
  );
  assert.equal(await page.getByText('Saved on this device').count(), 0, 'no "Saved" beside the errors');
});

e2eTest('where the dealer accepts it, a customer signs by typing their name, with the keyboard alone', fx, async ({ page, device }) => {
  const base = fx.server.url;
  // Not accepted (the default): the pad is the only way.
  await login(page, base, 'sales1');
  await newLead(page, '韩女士 (typed)', '13700137005');
  const leadPage = page.url();
  await page.getByRole('link', { name: 'Book a test drive', exact: true }).click();
  await page.getByRole('radio').first().check();
  await button(page, 'Test drive now').click();
  await seeVisible(page.getByRole('heading', { name: 'Before the car leaves' }), 'the departure form');
  assert.equal(await button(page, 'Type the name instead').count(), 0, 'no typed name unless the dealer accepts it');
  const drivePage = page.url();

  // The manager accepts typed names in the showroom rules.
  const manager = await device();
  await login(manager.page, base, 'manager');
  await manager.page.goto(`${base}/settings/catalogue`);
  const rules = manager.page.getByRole('form', { name: 'Showroom rules' });
  await seeVisible(rules, 'the showroom rules');
  await rules.getByRole('checkbox', { name: /Accept a typed name/ }).check();
  await rules.getByRole('button', { name: 'Save', exact: true }).click();
  await seeText(rules, 'Saved on this device', 'the rules saved');

  // The salesperson's tablet learns it with the sync; the customer types their name.
  await page.goto(drivePage);
  await seeVisible(button(page, 'Type the name instead'), 'the typed-name alternative', 30_000);
  await button(page, 'Type the name instead').focus();
  await page.keyboard.press('Enter');
  const typed = page.getByRole('textbox', { name: "Customer's full name, typed as the signature", exact: true });
  await seeVisible(typed, 'the typed-name field');
  await typed.focus();
  await page.keyboard.type('韩梅');
  await typed.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, 'first-week-typed-signature-en-768x1024.png') });
  await page.getByRole('textbox', { name: 'Licence number', exact: true }).fill('A7654321');
  await page.getByLabel('Valid until', { exact: true }).fill('2031-05-31');
  await button(page, 'Start the drive').click();
  await seeText(page.locator('.drive__status'), 'Out', 'the drive under way with a typed signature');
  await seeVisible(page.getByText('Signed by typing the name: 韩梅'), 'the record says how it was signed');
  await page.goto(leadPage);
  await seeVisible(heading(page, '韩女士 (typed)'), 'the lead again');
});
