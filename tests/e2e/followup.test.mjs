// Follow-up (issue 10): sales1's tablet, offline, completes an overdue task with "no answer,
// again tomorrow" in two taps and sees the next task; requests lost with a reason; the manager
// (another browser) rejects it with a comment; sales1 reconnects and sees the comment and the
// manager's new task; a second request is approved and the lead leaves sales1's open work.
// Today's counts follow each step. The consent panel records a withdrawal.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl,
  heading, button, navLink, seeVisible, seeText, eventually, sign, syncStatus,
} from './harness.mjs';

const fx = useFixtures({ server: false });
const PORTRAIT = { width: 768, height: 1024 };
const LANDSCAPE = { width: 1280, height: 800 };

const todayHeading = (page, name) => page.getByRole('heading', { name: new RegExp(`^${name} \\(\\d+\\)$`) });
async function seeCount(page, name, n, what) {
  await navLink(page, 'Today').click();
  await seeText(todayHeading(page, name), `${name} (${n})`, what);
}

/** The date `days` from today, as a date input takes it (the dealer's zone is the test's too). */
function isoDay(days) {
  const d = new Date(Date.now() + days * 86_400_000 + 8 * 3_600_000);
  return d.toISOString().slice(0, 10);
}

e2eTest(
  'an overdue task completed in two taps offline, a lost request rejected then approved by the manager',
  fx,
  async ({ first: s, device, servers }) => {
    const server = await startServer();
    servers.push(server);
    const base = server.url;
    const m = await device({ viewport: LANDSCAPE });
    await login(s.page, base, 'sales1');
    await waitForServiceWorkerControl(s.page);
    await login(m.page, base, 'manager');
    await seeVisible(heading(s.page, 'Demo cars'), 'the catalogue on the tablet');

    // A new lead gets its first-contact task at once; an overdue call is added by hand.
    await navLink(s.page, 'Leads').click();
    await s.page.getByRole('link', { name: 'New lead', exact: true }).click();
    await s.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill('孙先生');
    await s.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill('13600136000');
    await s.page.getByRole('checkbox', { name: 'Follow-up contact', exact: true }).check();
    await button(s.page, 'Save').click();
    await seeVisible(heading(s.page, '孙先生'), 'the new lead');
    const leadAddress = s.page.url();
    await seeText(s.page.getByTestId('consent-follow_up'), /^Given/, 'the consent given at capture');
    await seeText(s.page.getByTestId('consent-marketing'), 'Not asked: off', 'marketing off unless given');
    const followUp = s.page.getByRole('region', { name: 'Follow-up' });
    await seeVisible(followUp.getByText('First contact'), 'the first-contact task');
    // A test-drive appointment books its demo car.
    await s.page.getByLabel('Task', { exact: true }).selectOption({ label: 'Test-drive appointment' });
    await s.page.getByLabel('Demo car', { exact: true }).selectOption({ label: 'Aster 1.5T Comfort · 沪A·8K2L6' });
    await s.page.getByLabel('Due date', { exact: true }).fill(isoDay(1));
    await s.page.getByLabel('Time', { exact: true }).fill('15:00');
    await button(s.page, 'Add a task').click();
    await seeVisible(followUp.getByText(/^Test-drive appointment/), 'the appointment');
    await navLink(s.page, 'Today').click();
    await seeText(s.page.getByRole('listitem').filter({ hasText: 'Aster 1.5T Comfort · 沪A·8K2L6' }), /Next booking .*孙先生/, "the appointment in the demo car's bookings");
    await s.page.goto(leadAddress);
    await seeVisible(heading(s.page, '孙先生'), 'back on the lead');
    await s.page.getByLabel('Due date', { exact: true }).fill(isoDay(-2));
    await s.page.getByLabel('Time', { exact: true }).fill('09:30');
    await s.page.getByRole('textbox', { name: 'Note', exact: true }).first().fill('问试驾时间');
    await button(s.page, 'Add a task').click();
    await seeVisible(followUp.locator('.task-row--late'), 'an overdue task');
    const leadUrl = s.page.url();
    await seeCount(s.page, 'Overdue', 1, 'one overdue task on Today');

    // --- Offline: "no answer, again tomorrow" in two taps.
    await s.context.setOffline(true);
    await s.page.goto(leadUrl);
    await seeVisible(heading(s.page, '孙先生'), 'the lead, offline');
    await followUp.locator('.task-row--late').getByRole('button', { name: /^Complete/ }).click();
    await button(s.page, 'No answer').click();
    await button(s.page, 'Again tomorrow').click();
    await eventually(async () => (await followUp.locator('.task-row--late').count()) === 0, 'the overdue task is done');
    assert.equal(await followUp.locator('.task-row').count(), 3, 'the first contact, the appointment and the next call are open');
    await seeCount(s.page, 'Overdue', 0, 'nothing overdue after the two taps');

    // --- Offline: a lost request with a reason.
    await s.page.goto(leadUrl);
    await button(s.page, 'Request lost').click();
    await button(s.page, 'Price').click();
    await s.page.getByRole('textbox', { name: 'Note', exact: true }).last().fill('预算不够');
    await button(s.page, 'Send the lost request').click();
    await seeVisible(s.page.getByText(/Waiting for a manager: Price/), 'the request waits');

    // --- The manager, online, sees nothing until the tablet reconnects; then rejects.
    await s.context.setOffline(false);
    await navLink(m.page, 'Approvals').click();
    const card = m.page.getByRole('listitem').filter({ has: m.page.getByRole('heading', { name: '孙先生' }) });
    await seeVisible(card, "the lost request in the manager's inbox");
    await card.getByRole('textbox', { name: 'Comment for the salesperson' }).fill('周末再约一次试驾');
    await card.getByRole('button', { name: 'Reject: keep working it' }).click();
    await seeVisible(m.page.getByText('No quotes are waiting for approval.'), 'the inbox empties');

    // --- The tablet sees the comment and the manager's task.
    await seeVisible(s.page.getByText('A manager rejected the lost request: 周末再约一次试驾'), 'the rejection on the tablet');
    await seeVisible(followUp.getByText('周末再约一次试驾'), "the manager's new task");
    assert.equal(await followUp.locator('.task-row').count(), 4, "four open tasks now, the manager's among them");

    // --- Consent: marketing withdrawn is recorded.
    const consent = s.page.getByRole('region', { name: 'Consent' });
    await seeVisible(consent.getByText("I agree to receive the dealer's offers and event invitations."), 'the wording the customer is asked');
    await consent.getByRole('button', { name: 'Refused or withdrawn · Marketing' }).click();
    await seeText(s.page.getByTestId('consent-marketing'), /Refused or withdrawn/, 'the withdrawal');
    // Then given again, signed on the tablet: the new grant saw the withdrawal.
    await consent.getByRole('button', { name: 'Signed on the tablet · Marketing' }).click();
    await sign(s.page, { strokes: 1, scope: consent });
    await button(s.page, 'Save the signed consent').click();
    await seeText(s.page.getByTestId('consent-marketing'), /^Given · .* · signed · wording v1$/, 'the signed grant');

    // --- A second request, approved: the lead leaves sales1's open work.
    await button(s.page, 'Request lost').click();
    await button(s.page, 'Bought a competitor').click();
    await s.page.getByRole('textbox', { name: 'Which brand and model' }).fill('Brand X Model Y');
    await button(s.page, 'Send the lost request').click();
    await m.page.reload();
    await seeVisible(card, 'the second request');
    await card.getByRole('button', { name: 'Approve: lost' }).click();
    await seeVisible(s.page.getByText(/^Lost: Bought a competitor/), 'lost on the tablet');
    await eventually(async () => (await followUp.locator('.task-row').count()) === 0, 'no open tasks on a lost lead');
    await seeCount(s.page, 'Due today', 0, 'nothing due for the lost lead');
    await seeCount(s.page, 'Overdue', 0, 'nothing overdue');
  },
  { timeout: 240_000, viewport: PORTRAIT },
);

e2eTest(
  "the demo month: sales1's Today shows overdue and due work, the manager's inbox the waiting requests",
  fx,
  async ({ first: s, device, servers }) => {
    const server = await startServer({ demoMonth: true });
    servers.push(server);
    const m = await device({ viewport: LANDSCAPE });
    await login(s.page, server.url, 'sales1');
    const count = async (page, name) => {
      const text = await todayHeading(page, name).textContent();
      return Number(/\((\d+)\)/.exec(text)[1]);
    };
    // The month arrives in pages: wait until all of it is on the tablet.
    await seeText(syncStatus(s.page), 'Synced', 'the Sync pill once the month has arrived', 60_000);
    await eventually(async () => (await count(s.page, 'Overdue')) > 0, 'overdue work on Today');
    await eventually(async () => (await count(s.page, 'Due today')) > 0, 'work due today');
    await seeVisible(s.page.getByText(/Visits today: [1-9]\d*, left no details: 3/), "today's walk-ins who left no details");
    assert.ok((await count(s.page, 'Not reached yet')) >= 2, 'new leads nobody has reached yet');
    await seeText(s.page.getByTestId('quotes-line'), /Quotes waiting for approval: [1-9]/, "sales1's quotes waiting for the manager");
    const badge = s.page.locator('.main-nav__badge');
    await seeText(badge, String((await count(s.page, 'Overdue')) + (await count(s.page, 'Due today'))), 'the navigation badge counts overdue and due work');
    await navLink(s.page, 'Leads').click();
    // sales1 holds their own half of the month and the pool's three
    // (sales2's never reach this tablet).
    await seeVisible(s.page.getByText(/Showing 21 of 21/), "sales1's eighteen leads and the pool's three on the tablet");
    await login(m.page, server.url, 'manager');
    await seeVisible(m.page.getByRole('heading', { name: 'Overdue by salesperson' }), "the manager's team view");
    await seeVisible(m.page.locator('.task-row').filter({ hasText: 'Li Wei' }), "sales1's overdue count, by name");
    await navLink(m.page, 'Approvals').click();
    await seeVisible(m.page.getByText(/\d+ waiting for approval/), 'quotes waiting for the manager');
    await seeVisible(m.page.getByText(/Waiting for a manager: Bought a competitor/), 'the lost request waiting');
  },
  { timeout: 180_000, viewport: PORTRAIT },
);
