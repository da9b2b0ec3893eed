// A tablet signing in to a dealer with thousands of leads: they show as they arrive,
// with progress, and a reload in the middle of the sync loses and repeats nothing —
// each page of leads is stored whole with its cursor, or not at all.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, login, apiLogin, startSeedingDevice, navLink, seeVisible, eventually,
  PASSWORD,
} from './harness.mjs';

const fx = useFixtures();
const LEADS = 3_000;

/**
 * What the device holds: its sync cursor, how many leads (summaries) it stored, and how
 * many documents of other kinds (the dealer's catalogue, which the server made first).
 */
const deviceState = (page) =>
  page.evaluate(async () => {
    const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const db = await req(indexedDB.open('showroom'));
    try {
      const tx = db.transaction(['meta', 'summaries', 'outbox', 'docs', 'doc_changes'], 'readonly');
      const [cursor, leads, outbox, docKeys, changeKeys] = await Promise.all([
        req(tx.objectStore('meta').get('cursor')),
        req(tx.objectStore('summaries').count()),
        req(tx.objectStore('outbox').count()),
        req(tx.objectStore('docs').getAllKeys()),
        req(tx.objectStore('doc_changes').getAllKeys()),
      ]);
      // `<kind>:<uuid>` and `<kind>:<uuid>:<hash>`: the documents that are not leads.
      const others = new Set(
        [...docKeys, ...changeKeys].map((k) => k.split(':').slice(0, 2).join(':')).filter((d) => !d.startsWith('lead:')),
      ).size;
      return { cursor: cursor ?? 0, leads, others, outbox };
    } finally {
      db.close();
    }
  });

e2eTest(
  'thousands of leads arrive with progress, and a reload mid-sync leaves each page whole or absent and resumes from the cursor',
  fx,
  async ({ t, page, context }) => {
    const base = fx.server.url;
    const seeding = await apiLogin(base, 'sales2', PASSWORD, 'e2e seeding tablet');
    const seeder = startSeedingDevice({
      url: base,
      token: seeding.token,
      dealer: seeding.session.dealer.id,
      user: seeding.session.user.id,
    });
    try {
      const answer = await seeder.command(`seed ${LEADS}`);
      assert.match(answer, new RegExp(`^seeded ${LEADS} `), 'the leads were pushed');

      // A slow tablet (4x CPU), so the sync takes long enough to be interrupted.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      let blocked = false;
      await page.routeWebSocket(/\/sync$/, (ws) => {
        if (blocked) ws.close();
        else ws.connectToServer();
      });
      await login(page, base, 'manager');
      await navLink(page, 'Leads').click();
      await seeVisible(
        page.getByRole('status').filter({ hasText: /^Receiving [\d,]+ of [\d,]+ changes$/ }),
        'the progress "Receiving N of M changes" in the list',
      );
      await seeVisible(page.locator('.lead-row').first(), 'the first leads while the rest still arrive');

      // Reload at different moments of the sync with the server out of reach
      // afterwards, so what the tab stored before it went is what it holds.
      const states = [];
      for (const wait of [0, 300, 700, 1_200]) {
        await new Promise((r) => setTimeout(r, wait));
        blocked = true;
        await page.reload();
        const s = await deviceState(page);
        t.diagnostic(`reloaded ${wait} ms in: cursor ${s.cursor}, ${s.leads} leads stored`);
        // Every sequence number is one new document — the dealer's catalogue, then
        // the seeding tablet's leads: a page half stored would show more (or fewer)
        // documents than the cursor covers.
        assert.equal(s.leads + s.others, s.cursor, `after a reload mid-sync the device holds exactly the documents up to its cursor`);
        states.push(s);
        blocked = false;
        await page.reload();
      }
      t.diagnostic(`interrupted at cursors ${states.map((s) => s.cursor).join(', ')}`);
      assert.ok(
        states.some((s) => s.cursor > 1 && s.cursor < LEADS + 1),
        'at least one reload came in the middle of the sync',
      );

      // Back online: it goes on from its cursor to every lead, once each.
      await eventually(
        async () => (await deviceState(page)).cursor === LEADS + 1,
        `the device did not reach cursor ${LEADS + 1}`,
        60_000,
      );
      assert.deepEqual(await deviceState(page), { cursor: LEADS + 1, leads: LEADS, others: 1, outbox: 0 });
      await seeVisible(page.getByText('Showing 100 of 3,000', { exact: true }), 'the whole list');
    } finally {
      await seeder.stop();
    }
  },
);
