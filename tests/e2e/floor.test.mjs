// The showroom floor (issue 8): on tablet A offline a walk-in is logged, captured as a lead
// and taken on a test drive — an expired licence is refused first, the agreement is signed
// with pointer strokes; tablet B (another salesperson, online) sees the demo car out once A
// reconnects; A records the return; the manager sees the visit and the test drive with its
// signature; a salesperson sees no catalogue editor, and the server refuses a salesperson's
// forged catalogue change.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, startServer, login, apiLogin, startSeedingDevice, waitForServiceWorkerControl,
  heading, button, navLink, syncStatus, sign, seeVisible, seeHidden, seeText, eventually,
  indexedDbStoresContaining,
} from './harness.mjs';

const fx = useFixtures({ server: false });
const PORTRAIT = { width: 768, height: 1024 };
const LANDSCAPE = { width: 1280, height: 800 };
const LIVE_TIMEOUT = 10_000;
const CAR = 'Aster 1.5T Comfort · 沪A·8K2L6';

async function ownServer(servers) {
  const server = await startServer();
  servers.push(server);
  return server;
}

/** The demo car's row on Today, with its state. */
const carRow = (page) => page.getByRole('listitem').filter({ hasText: CAR });

async function seeCar(page, state, what, timeout) {
  await navLink(page, 'Today').click();
  await seeVisible(heading(page, 'Demo cars'), `the Demo cars ${what}`);
  await seeText(carRow(page).locator('.car-row__status'), state, `the demo car "${state}" ${what}`, timeout);
}

/** Draws a signature of three strokes and checks the pad draws them back. */
async function signThree(page) {
  const pad = await sign(page, { strokes: 3 });
  const ink = await pad.locator('path.signature__ink').getAttribute('d');
  assert.ok(ink && ink.split('M').length - 1 === 3, `three strokes are drawn back: ${ink}`);
}

e2eTest(
  'a walk-in on an offline tablet becomes a lead and a signed test drive, and the other tablet and the manager see it',
  fx,
  async ({ t, first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    await login(a.page, base, 'sales1');
    await waitForServiceWorkerControl(a.page);
    await login(b.page, base, 'sales2');
    // The dealer's catalogue reaches both tablets with their first sync.
    await seeCar(a.page, 'Available', 'on A');
    await seeCar(b.page, 'Available', 'on B');

    // --- A, offline: the walk-in, the lead, the test drive.
    await a.context.setOffline(true);
    await button(a.page, 'Walk-in').click();
    await seeVisible(heading(a.page, 'Visit'), 'the visit page after "Walk-in"');
    await button(a.page, 'One more').click();
    await seeText(a.page.getByRole('group', { name: 'Party size' }).locator('output'), '2', 'the party of two');
    await a.page.getByRole('checkbox', { name: 'Needs analysis', exact: true }).check();
    await seeVisible(a.page.getByRole('status').filter({ hasText: 'Saved on this device' }), '"Saved on this device" for the visit');
    await button(a.page, 'New lead').click();
    await a.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill('冯先生');
    await a.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill('13900139000');
    await button(a.page, 'Save').click();
    await seeVisible(heading(a.page, '冯先生'), "the new lead's record");
    const visits = a.page.getByRole('region', { name: 'Visits' });
    await seeVisible(visits.getByRole('link').filter({ hasText: 'First visit' }), 'the walk-in in the lead\'s visits');
    await a.page.getByRole('link', { name: 'Book a test drive', exact: true }).click();
    await a.page.getByRole('radio', { name: new RegExp(CAR) }).check();
    await button(a.page, 'Test drive now').click();
    await seeVisible(a.page.getByRole('heading', { name: 'Before the car leaves' }), 'the checks before the car leaves');
    const drivePage = a.page.url();

    await a.page.getByRole('textbox', { name: 'Licence number', exact: true }).fill('A1234567');
    await a.page.getByRole('combobox', { name: 'Class', exact: true }).selectOption('C1');
    await a.page.getByLabel('Valid until', { exact: true }).fill('2021-01-31');
    await signThree(a.page);
    await button(a.page, 'Start the drive').click();
    await seeText(a.page.getByRole('alert'), 'The licence has expired: the drive cannot start.', 'the expired licence refused');
    await a.page.getByLabel('Valid until', { exact: true }).fill('2031-05-31');
    await button(a.page, 'Start the drive').click();
    await seeText(a.page.locator('.drive__status'), 'Out', 'the drive under way');
    await seeVisible(a.page.getByRole('heading', { name: 'On return' }), 'the return form');

    // B does not know yet: A is offline.
    await seeCar(b.page, 'Available', 'on B while A is offline');
    await seeCar(a.page, 'Out on a test drive', 'on A');
    await seeText(a.page.getByRole('region', { name: 'In the showroom now' }), 'Visits today: 1, left no details: 0', "the day's count on A");

    // --- A reconnects: B sees the car out.
    await a.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill after reconnecting", 30_000);
    await seeText(carRow(b.page).locator('.car-row__status'), 'Out on a test drive', 'the demo car out on B', LIVE_TIMEOUT);
    // B is sales2's: the lead is sales1's, so B sees whose customer, never who.
    await seeText(carRow(b.page), /With Li Wei's customer/, "with sales1's customer, on B");
    assert.equal(await b.page.getByText('冯先生').count(), 0, "sales1's customer's name is nowhere on B's screen");
    const onB = await indexedDbStoresContaining(b.page, '冯先生');
    assert.deepEqual(onB.found, [], "nor anywhere in B's IndexedDB");

    // --- The return: an odometer that went backwards is refused first.
    await a.page.goto(drivePage);
    await seeVisible(a.page.getByRole('heading', { name: 'On return' }), 'the return form again');
    await a.page.getByRole('textbox', { name: 'Odometer in (km)', exact: true }).fill('3100');
    await a.page.getByRole('textbox', { name: 'Fuel or battery in (%)', exact: true }).fill('80');
    await button(a.page.getByRole('group', { name: "Customer's rating" }), '5').click();
    await button(a.page, 'Record the return').click();
    await seeText(a.page.getByRole('alert'), 'The odometer in must not be below the odometer out.', 'the odometer check');
    await a.page.getByRole('textbox', { name: 'Odometer in (km)', exact: true }).fill('3146');
    await button(a.page, 'Record the return').click();
    await seeText(a.page.locator('.drive__status'), 'Returned', 'the drive returned');
    await seeVisible(button(a.page, 'Print the record'), 'the printable record');
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill after the return", 30_000);
    await seeCar(b.page, 'Available', 'on B after the return', LIVE_TIMEOUT);

    // The next drive of the car starts from the reading its return recorded.
    await a.page.goto(drivePage.replace(/\/drives\/[^/]+$/, '/drives/new'));
    await a.page.getByRole('radio', { name: new RegExp(CAR) }).check();
    await button(a.page, 'Test drive now').click();
    await seeVisible(a.page.getByRole('heading', { name: 'Before the car leaves' }), 'the next drive');
    assert.equal(await a.page.getByRole('textbox', { name: 'Odometer out (km)', exact: true }).inputValue(), '3146', 'the odometer out of the next drive');
    // Cancelling asks first (it sat next to "Start the drive").
    await button(a.page, 'Cancel the booking').click();
    const cancelQuestion = a.page.getByRole('alertdialog', { name: /Cancel this booking\?/ });
    await seeVisible(cancelQuestion, 'the cancel question');
    await cancelQuestion.getByRole('button', { name: 'Keep the booking', exact: true }).click();
    await seeHidden(cancelQuestion, 'the question after "Keep the booking"');
    assert.notEqual(await a.page.locator('.drive__status').textContent(), 'Cancelled', 'kept');
    await button(a.page, 'Cancel the booking').click();
    await a.page.getByRole('button', { name: 'Yes, cancel the booking', exact: true }).click();
    await seeText(a.page.locator('.drive__status'), 'Cancelled', 'the extra booking cancelled');

    // --- The manager sees the visit and the signed test drive.
    const m = await device({ viewport: LANDSCAPE });
    await login(m.page, base, 'manager');
    await navLink(m.page, 'Leads').click();
    await m.page.getByRole('link', { name: /^\s*冯先生/ }).click();
    await seeVisible(m.page.getByRole('region', { name: 'Visits' }).getByRole('link').filter({ hasText: 'First visit' }), "the visit on the manager's laptop");
    const drives = m.page.getByRole('region', { name: 'Test drives' });
    await seeVisible(drives.getByRole('link').filter({ hasText: 'Returned' }), 'the returned drive in the lead');
    await drives.getByRole('link').filter({ hasText: 'Returned' }).click();
    const signature = m.page.getByRole('img', { name: "Customer's signature", exact: true });
    await seeVisible(signature, 'the signature, drawn back, on the manager\'s laptop');
    const ink = await signature.locator('path').getAttribute('d');
    assert.equal(ink.split('M').length - 1, 3, 'all three strokes reached the manager');
    await seeText(m.page.getByRole('article', { name: 'Test drive' }), /A1234567 · C1 · 2031-05-31/, 'the licence on the record');
    await seeText(m.page.getByRole('article', { name: 'Test drive' }), /v1 · en/, 'the agreement version signed');

    // --- The catalogue: the manager has an editor, a salesperson none; a forged change is refused.
    await navLink(m.page, 'Settings').click();
    await seeVisible(m.page.getByRole('link', { name: 'Edit the catalogue', exact: true }), "the manager's catalogue editor");
    await navLink(b.page, 'Settings').click();
    await seeVisible(heading(b.page, 'Catalogue'), "B's (read-only) catalogue");
    assert.equal(await b.page.getByRole('link', { name: 'Edit the catalogue' }).count(), 0, 'a salesperson sees no catalogue editor');
    const sales2 = await apiLogin(base, 'sales2', undefined, 'forging tablet');
    const forger = startSeedingDevice({ url: base, token: sales2.token, dealer: sales2.session.dealer.id, user: sales2.session.user.id });
    try {
      assert.equal(await forger.command('forge-catalogue'), 'refused forbidden', "the server refuses a salesperson's catalogue change");
    } finally {
      await forger.stop();
    }
    await m.page.getByRole('link', { name: 'Edit the catalogue', exact: true }).click();
    await seeVisible(heading(m.page, 'Edit the catalogue'), 'the editor');
    assert.equal(await m.page.getByText('Forged').count(), 0, 'the forged trim is nowhere');
    t.diagnostic('walk-in → lead → signed test drive → return, seen by B and the manager');
  },
  { viewport: PORTRAIT },
);

e2eTest(
  "a manager's catalogue edits (a price, a demo car with a checked VIN) reach a salesperson's tablet",
  fx,
  async ({ first: s, device, servers }) => {
    const { url: base } = await ownServer(servers);
    await login(s.page, base, 'sales1');
    const m = await device({ viewport: LANDSCAPE });
    await login(m.page, base, 'manager');
    await navLink(m.page, 'Settings').click();
    await m.page.getByRole('link', { name: 'Edit the catalogue', exact: true }).click();
    await seeVisible(heading(m.page, 'Edit the catalogue'), "the manager's editor");
    const price = m.page.getByRole('textbox', { name: 'Aster 1.5T Comfort', exact: true });
    await price.fill('128,800');
    await button(m.page, 'Save · Aster 1.5T Comfort').click();
    await seeVisible(m.page.getByRole('status').filter({ hasText: 'Saved on this device' }), 'the price saved');
    await m.page.getByRole('textbox', { name: 'VIN', exact: true }).fill('1M8GDM9A1KP042788');
    await m.page.getByRole('textbox', { name: 'Plate', exact: true }).fill('沪AD·55555');
    await m.page.getByRole('combobox', { name: 'Trim', exact: true }).selectOption({ label: 'Lumen EV Standard 420 km' });
    await button(m.page, 'Add a demo car').click();
    await seeText(m.page.getByRole('alert'), /check digit/, 'a VIN with a wrong check digit refused');
    await m.page.getByRole('textbox', { name: 'VIN', exact: true }).fill('1M8GDM9AXKP042788');
    await button(m.page, 'Add a demo car').click();
    await seeVisible(m.page.getByText('Lumen EV Standard 420 km · 沪AD·55555'), 'the new demo car listed');

    await navLink(s.page, 'Settings').click();
    await seeText(s.page.getByRole('list', { name: 'Catalogue' }), /1\.5T Comfort\s*¥ 128,800\.00/, 'the new price on the salesperson\'s tablet', LIVE_TIMEOUT);
    await seeVisible(s.page.getByText('Lumen EV Standard 420 km · 沪AD·55555'), 'the new demo car on the tablet', LIVE_TIMEOUT);
  },
  { viewport: PORTRAIT },
);

e2eTest(
  'two tablets that book one demo car for the same time offline both keep their booking and both see the clash, and the record prints on A4 offline',
  fx,
  async ({ first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    await login(a.page, base, 'sales1');
    await waitForServiceWorkerControl(a.page);
    await login(b.page, base, 'sales2');
    await seeCar(a.page, 'Available', 'on A');
    await seeCar(b.page, 'Available', 'on B');

    // Each tablet, offline, captures its customer and books the car at 16:00.
    const book = async (d, name, mobile, time) => {
      await navLink(d.page, 'Leads').click();
      await d.page.getByRole('link', { name: 'New lead', exact: true }).click();
      await d.page.getByRole('textbox', { name: 'Customer name', exact: true }).fill(name);
      await d.page.getByRole('textbox', { name: 'Mobile', exact: true }).fill(mobile);
      await button(d.page, 'Save').click();
      await seeVisible(heading(d.page, name), `${name}'s record`);
      await d.page.getByRole('link', { name: 'Book a test drive', exact: true }).click();
      await d.page.getByRole('radio', { name: new RegExp(CAR) }).check();
      await d.page.getByLabel('Time', { exact: true }).fill(time);
      await button(d.page, 'Save the booking').click();
      await seeText(d.page.locator('.drive__status'), 'Booked', `${name}'s booking`);
      return d.page.url();
    };
    await a.context.setOffline(true);
    await b.context.setOffline(true);
    const aDrive = await book(a, '孙女士', '13700000001', '16:00');
    const bDrive = await book(b, '钱先生', '13700000002', '16:30');
    assert.equal(await a.page.getByText('Booked twice').count(), 0, 'offline, A knows of no clash yet');

    await a.context.setOffline(false);
    await b.context.setOffline(false);
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill", 30_000);
    await seeText(syncStatus(b.page), 'Synced', "B's Sync pill", 30_000);
    // Each sees the clash with the colleague's customer, never the
    // customer's name: sales1 and sales2 cannot see each other's leads.
    for (const [d, url, other, hidden] of [
      [a, aDrive, "Zhang Min's customer", '钱先生'],
      [b, bDrive, "Li Wei's customer", '孙女士'],
    ]) {
      await d.page.goto(url);
      await seeText(d.page.getByRole('alert'), new RegExp(`Booked twice.*${other}`), `the clash with ${other}'s booking`, LIVE_TIMEOUT);
      assert.equal(await d.page.getByText(hidden).count(), 0, `${hidden} is not on the other tablet`);
      const held = await indexedDbStoresContaining(d.page, hidden);
      assert.deepEqual(held.found, [], `${hidden} is in no store of the other tablet's IndexedDB`);
    }
    // The manager sees both bookings of the car, and the clash on each lead.
    const m = await device({ viewport: LANDSCAPE });
    await login(m.page, base, 'manager');
    await navLink(m.page, 'Leads').click();
    await m.page.getByRole('link', { name: /^\s*孙女士/ }).click();
    await seeVisible(m.page.getByRole('region', { name: 'Test drives' }).getByText('Booked twice'), "the clash on the manager's laptop");

    // The record prints on A4 with the network gone: only the record, no app chrome.
    await a.context.setOffline(true);
    await a.page.goto(aDrive);
    await a.page.emulateMedia({ media: 'print' });
    await seeHidden(a.page.getByRole('navigation', { name: 'Main' }), 'the navigation in print');
    await seeVisible(a.page.getByRole('article', { name: 'Test drive' }), 'the record in print');
    const pdf = await a.page.pdf({ format: 'A4' });
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'a PDF came out');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert.equal(pages, 1, 'the record fits on one A4 page');
    await a.page.emulateMedia({ media: 'screen' });
  },
  { viewport: PORTRAIT },
);
