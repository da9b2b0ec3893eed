// Every screen, both roles, both languages: axe-core (the engine browser
// accessibility checkers use) finds nothing serious or critical on any of
// them, each page has one level-one heading and is titled by what it shows,
// and every control is big enough for a finger. Screenshots of each screen
// (768x1024) land in tests/e2e/artifacts/screens/ to look at.
//
// One server with the demo month (leads with quotes, test drives, visits and
// tasks) for the whole file; one device per role and language.

import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { before } from 'node:test';
import {
  ARTIFACTS, e2eTest, login, seeVisible, eventually, seeText, banner, button, syncStatus, useFixtures,
} from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(ARTIFACTS, 'screens');

const fx = useFixtures({ serverOptions: { demoMonth: true } });
before(() => mkdir(SHOTS, { recursive: true }));

/** What axe finds on the page as it stands: violations of impact serious or critical, and the rest. */
async function audit(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    // Evaluated through DevTools, not a <script>: the app's Content-Security-Policy stays as it is.
    await page.evaluate(AXE_SOURCE);
  }
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      resultTypes: ['violations'],
      // Voice control presses a button by its visible text (WCAG 2.5.3): off by default in axe.
      rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return {
    serious: violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    other: violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical'),
  };
}

/** Controls a finger must hit that are smaller than 44x44 px (inline links in text excepted). */
function smallTargets(page) {
  return page.evaluate(() => {
    const small = [];
    for (const el of document.querySelectorAll('button, [role=button], input:not([type=hidden]), select, textarea, a.button, nav a')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      // Checkboxes and radios are hit through their label.
      if (el.type === 'checkbox' || el.type === 'radio') continue;
      if (r.height < 43.5 || r.width < 43.5) {
        small.push(`${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.innerText || el.id || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
    }
    return small;
  });
}

/** The page is drawn: its level-one heading is there and nothing says it is loading. */
async function settled(page, what) {
  await seeVisible(page.locator('main h1:visible, main h2:visible'), `the heading of ${what}`);
  await eventually(
    async () => (await page.locator('main').innerText()).match(/Loading|正在加载|加载中/) == null,
    `${what} to finish loading`,
  );
}

/** The screens a person in `role` opens, found by following the app's own links. */
async function screens(page, base, role) {
  const list = [['today', '/'], ['leads', '/leads'], ['new-lead', '/leads/new']];
  await page.goto(`${base}/leads`);
  await settled(page, 'the lead list');
  await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads on the device', 60_000);
  // A lead with quotes, drives and visits: the first whose page links to all three.
  const leads = await page.locator('a.lead-row__link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let found = null;
  for (const href of leads.slice(0, 25)) {
    await page.goto(`${base}${href}`);
    await settled(page, `the lead ${href}`);
    const links = await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const quote = links.find((h) => /\/quotes\//.test(h));
    const drive = links.find((h) => /\/drives\//.test(h));
    const visit = links.find((h) => /^\/visits\//.test(h));
    if (quote && drive && visit) {
      found = { lead: href, quote, drive, visit };
      break;
    }
  }
  assert.ok(found, 'a demo lead with a quote, a test drive and a visit');
  list.push(['lead', found.lead], ['quote', found.quote], ['drive', found.drive], ['visit', found.visit]);
  if (role !== 'sales') {
    list.push(['approvals', '/approvals'], ['team', '/team'], ['catalogue', '/settings/catalogue']);
  }
  list.push(['settings', '/settings']);
  return list;
}

for (const [user, role] of [['sales1', 'sales'], ['manager', 'manager']]) {
  for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']]) {
    e2eTest(`every screen of a ${role} in ${lang}: nothing serious for axe, titled, one h1, finger-sized controls`, fx, async ({ t, device }) => {
      const base = fx.server.url;
      const { page } = await device({ locale });
      await page.goto(`${base}/login`);
      if (lang === 'zh') {
        // Signs in through the same page, in Chinese.
        await seeVisible(page.getByRole('heading', { name: '登录', exact: true }), 'the Chinese sign-in page');
        const loginAudit = await audit(page);
        assert.deepEqual(loginAudit.serious, [], 'the sign-in page');
        await page.screenshot({ path: path.join(SHOTS, `login-${role}-${lang}-768x1024.png`) });
        await page.getByLabel('用户名', { exact: true }).fill(user);
        await page.getByLabel('密码', { exact: true }).fill('showroom');
        await page.getByRole('button', { name: '登录', exact: true }).click();
        await seeText(banner(page), user, `signed in as ${user}`);
      } else {
        await seeVisible(page.getByRole('heading', { name: 'Sign in', exact: true }), 'the sign-in page');
        const loginAudit = await audit(page);
        assert.deepEqual(loginAudit.serious, [], 'the sign-in page');
        await page.screenshot({ path: path.join(SHOTS, `login-${role}-${lang}-768x1024.png`) });
        await login(page, base, user);
      }
      const found = [];
      const moderate = [];
      const titles = new Map();
      for (const [name, href] of await screens(page, base, role)) {
        await page.goto(`${base}${href}`);
        await settled(page, name);
        await page.screenshot({ path: path.join(SHOTS, `${name}-${role}-${lang}-768x1024.png`), fullPage: true });
        const { serious, other } = await audit(page);
        for (const v of serious) found.push(`${name}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(', ')}`);
        for (const v of other) moderate.push(`${name}: ${v.impact} ${v.id} at ${v.targets.join(', ')}`);
        const h1 = await page.locator('h1:visible').count();
        if (h1 !== 1) found.push(`${name}: ${h1} level-one headings shown, not one`);
        for (const small of await smallTargets(page)) found.push(`${name}: smaller than 44 px: ${small}`);
        titles.set(name, await page.title());
      }
      if (moderate.length) t.diagnostic(`moderate or minor (not failing):\n${moderate.join('\n')}`);
      assert.deepEqual(found, [], 'serious or critical accessibility findings, headings and finger-sized controls');
      // Each page is titled by what it shows: no two record pages share a title.
      const records = ['lead', 'quote', 'drive', 'visit'].map((n) => titles.get(n));
      assert.equal(new Set(records).size, records.length, `record pages titled apart: ${records.join(' | ')}`);
    }, { timeout: 300_000 });
  }
}

// Landscape and laptop: the width is used (issue 19's layout items).
for (const [width, height] of [[1024, 768], [1280, 800]]) {
  for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']]) {
    e2eTest(`landscape ${width}x${height} in ${lang}: the filters leave room for leads, Today uses the width`, fx, async ({ device }) => {
      const base = fx.server.url;
      const { page } = await device({ locale, viewport: { width, height } });
      await page.goto(`${base}/login`);
      await page.locator('#login-username').fill('manager');
      await page.locator('#login-password').fill('showroom');
      await page.locator('form button[type=submit]').click();
      await seeText(banner(page), 'manager', 'signed in as the manager');
      await settled(page, 'Today');
      const [work, side] = await Promise.all(['.today__work', '.today__side'].map((s) => page.locator(s).boundingBox()));
      if (width >= 1200) {
        assert.ok(Math.abs(work.y - side.y) < 2 && side.x > work.x + work.width - 1, `Today's showroom beside the work: ${JSON.stringify({ work, side })}`);
        assert.ok(work.width + side.width > 900, `Today uses the laptop's width: ${work.width + side.width} px`);
      }
      await page.screenshot({ path: path.join(SHOTS, `today-manager-${lang}-${width}x${height}.png`) });
      await page.goto(`${base}/leads`);
      await settled(page, 'the lead list');
      await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
      await page.locator('a.lead-row__link').first().click();
      await eventually(async () => (await page.locator('h1:visible').count()) === 2, 'the list beside the open lead');
      const filters = await page.locator('.lead-list__filters').boundingBox();
      assert.ok(filters.height <= 130, `the filters take ${filters.height} px of ${height}`);
      const rowsInView = await page.locator('a.lead-row__link').evaluateAll(
        (as) => as.filter((a) => a.getBoundingClientRect().bottom <= window.innerHeight).length,
      );
      assert.ok(rowsInView >= 4, `${rowsInView} leads in view beside the record`);
      await page.screenshot({ path: path.join(SHOTS, `leads-open-manager-${lang}-${width}x${height}.png`) });
    }, { timeout: 180_000 });
  }
}

// Whose lead it is (issue 21): a manager hands a lead to the pool from its
// page, sees it saved, and it stays so after a reload; a salesperson reads
// the owner and has no control to change it.
e2eTest('a manager hands a lead to the pool from its page; a salesperson only reads the owner', fx, async ({ device }) => {
  const base = fx.server.url;
  const { page } = await device({ viewport: { width: 1280, height: 800 } });
  await login(page, base, 'manager');
  await page.goto(`${base}/leads`);
  await settled(page, 'the lead list');
  await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
  const href = await page.locator('a.lead-row__link').first().getAttribute('href');
  await page.goto(`${base}${href}`);
  await settled(page, 'the lead');
  const owner = page.getByRole('combobox', { name: 'Owner', exact: true });
  await seeVisible(owner, 'the Owner control');
  // The names come from the server: the demo's salespeople are offered.
  await eventually(async () => (await owner.locator('option').allInnerTexts()).includes('Li Wei'), 'Li Wei among the owners');
  await owner.selectOption({ label: 'Pool (no owner)' });
  await seeText(page.locator('main'), 'Saved on this device', 'the hand-over saved');
  await owner.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, 'lead-owner-manager-en-1280x800.png') });
  await page.reload();
  await settled(page, 'the lead after a reload');
  await eventually(
    async () => (await page.getByRole('combobox', { name: 'Owner', exact: true }).inputValue()) === '',
    'the lead is in the pool after a reload',
  );

  const sales = await device({ locale: 'zh-CN' });
  await sales.page.goto(`${base}/login`);
  await sales.page.getByLabel('用户名', { exact: true }).fill('sales1');
  await sales.page.getByLabel('密码', { exact: true }).fill('showroom');
  await sales.page.getByRole('button', { name: '登录', exact: true }).click();
  await seeText(banner(sales.page), 'sales1', 'signed in as sales1');
  await sales.page.goto(`${base}${href}`);
  await settled(sales.page, 'the lead on a salesperson’s tablet');
  await seeText(sales.page.locator('.owner-field'), '公共池（无负责人）', 'the owner, read in Chinese');
  assert.equal(await sales.page.locator('#edit-owner').count(), 0, 'no control to change it');
  await sales.page.locator('.owner-field').scrollIntoViewIfNeeded();
  await sales.page.screenshot({ path: path.join(SHOTS, 'lead-owner-sales-zh-768x1024.png') });
}, { timeout: 240_000 });

// Whose leads the list shows (issue 21): each row says whose it is, the list
// filters by owner, and a manager hands several leads over at once.

/** Signs in through the login page in the device's language. */
async function signIn(page, base, user, lang) {
  if (lang === 'en') return login(page, base, user);
  await page.goto(`${base}/login`);
  await page.getByLabel('用户名', { exact: true }).fill(user);
  await page.getByLabel('密码', { exact: true }).fill('showroom');
  await page.getByRole('button', { name: '登录', exact: true }).click();
  await seeText(banner(page), user, `signed in as ${user}`);
}

/**
 * The list's rows as a person reads them: (link, customer, whose). Their text,
 * not their rendered text: rows below the fold skip rendering
 * (`content-visibility`) until scrolled to.
 */
function listedRows(page) {
  return page.locator('li.lead-row').evaluateAll((lis) => lis.map((li) => ({
    href: li.querySelector('a.lead-row__link').getAttribute('href'),
    name: li.querySelector('.lead-row__name').textContent.trim(),
    owner: li.querySelector('.lead-row__owner').textContent.replace(/^\s*(Owner|负责人)[:：]\s*/, '').trim(),
  })));
}

/** The row of the lead at `href`. */
const rowOf = (page, href) => page.locator('li.lead-row').filter({ has: page.locator(`a[href="${href}"]`) });

const OWNER_TEXT = {
  en: { owner: 'Owner', select: 'Select', handTo: 'Hand to', reassign: 'Reassign', pool: 'Pool (no owner)', mine: 'Mine', all: 'All' },
  zh: { owner: '负责人', select: '选择', handTo: '转给', reassign: '重新分配', pool: '公共池（无负责人）', mine: '我的', all: '全部' },
};

e2eTest('a manager ticks two of Li Wei’s leads, hands them to Zhang Min, and the list and its owner filter say so', fx, async ({ device }) => {
  const base = fx.server.url;
  const { page } = await device({ viewport: { width: 1280, height: 800 } });
  await login(page, base, 'manager');
  await page.goto(`${base}/leads`);
  await settled(page, 'the lead list');
  await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
  // Each row says whose lead it is: both salespeople's names appear once the
  // names have come from the server.
  await eventually(async () => {
    const owners = new Set((await listedRows(page)).map((r) => r.owner));
    return owners.has('Li Wei') && owners.has('Zhang Min');
  }, 'rows owned by Li Wei and by Zhang Min');

  // Named apart from the open lead's own "Owner" control beside it.
  const owner = page.getByRole('combobox', { name: 'Filter by owner', exact: true });
  await eventually(async () => (await owner.locator('option').allInnerTexts()).includes('Zhang Min'), 'Zhang Min in the owner filter');
  await owner.selectOption({ label: 'Li Wei' });
  await eventually(async () => {
    const rows = await listedRows(page);
    return rows.length > 2 && rows.every((r) => r.owner === 'Li Wei');
  }, 'only Li Wei’s leads listed');
  const [first, second] = (await listedRows(page)).slice(0, 2);

  await button(page, 'Select').click();
  await seeText(page.locator('.pick-bar'), '0 selected', 'the selection bar');
  // Each box is named after the customer.
  for (const r of [first, second]) {
    await rowOf(page, r.href).getByRole('checkbox', { name: r.name, exact: true }).check();
  }
  await seeText(page.locator('.pick-bar'), '2 selected', 'two leads selected');
  const handTo = page.getByRole('combobox', { name: 'Hand to', exact: true });
  const reassign = button(page, 'Reassign');
  assert.ok(await reassign.isDisabled(), 'nothing is handed over before a person is chosen');
  await eventually(async () => (await handTo.locator('option').allInnerTexts()).includes('Zhang Min'), 'Zhang Min to hand to');
  await handTo.selectOption({ label: 'Zhang Min' });
  const { serious } = await audit(page);
  assert.deepEqual(serious, [], 'the list while selecting');
  assert.deepEqual(await smallTargets(page), [], 'finger-sized controls while selecting');
  await page.screenshot({ path: path.join(SHOTS, 'lead-list-reassign-en-1280x800.png') });

  await reassign.click();
  await seeText(page.getByRole('status').filter({ hasText: 'handed' }), '2 leads handed to Zhang Min. Saved on this device.', 'the hand-over, said plainly');
  await seeText(page.locator('.pick-bar'), '0 selected', 'the selection cleared');
  assert.equal(await page.locator('li.lead-row input[type=checkbox]:checked').count(), 0, 'no box left ticked');
  // Still filtered by Li Wei: the two are no longer his.
  await eventually(async () => {
    const hrefs = (await listedRows(page)).map((r) => r.href);
    return !hrefs.includes(first.href) && !hrefs.includes(second.href);
  }, 'the two leads gone from Li Wei’s');
  await page.screenshot({ path: path.join(SHOTS, 'lead-list-reassigned-en-1280x800.png') });
  // The server took the changes (a refusal would show on the pill).
  await seeText(syncStatus(page), 'Synced', 'the hand-over synced', 30_000);

  await owner.selectOption({ label: 'Zhang Min' });
  let listed = [];
  await eventually(async () => {
    listed = await listedRows(page);
    const handed = listed.filter((r) => r.href === first.href || r.href === second.href);
    return listed.every((r) => r.owner === 'Zhang Min') && handed.length === 2;
  }, () => `both leads among Zhang Min’s, each row saying so: ${JSON.stringify({ first, second, listed })}`);
  // Their own pages agree.
  await page.goto(`${base}${first.href}`);
  await settled(page, 'the first lead');
  await eventually(async () => (await page.getByRole('combobox', { name: 'Owner', exact: true }).locator('option:checked').innerText()) === 'Zhang Min', 'the lead’s page names Zhang Min');
}, { timeout: 240_000 });

e2eTest('a salesperson filters All, Mine or the pool, and has no Select', fx, async ({ device }) => {
  const base = fx.server.url;
  const { page } = await device({ locale: 'zh-CN' });
  await signIn(page, base, 'sales1', 'zh');
  await page.goto(`${base}/leads`);
  await settled(page, 'the lead list');
  await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
  const owner = page.getByRole('combobox', { name: '按负责人筛选', exact: true });
  assert.deepEqual(await owner.locator('option').allInnerTexts(), ['全部', '我的', '公共池（无负责人）'], 'the owner filter offers all, mine, the pool');
  assert.equal(await page.getByRole('button', { name: '选择', exact: true }).count(), 0, 'no Select for a salesperson');
  assert.equal(await page.locator('li.lead-row input[type=checkbox]').count(), 0, 'no boxes on the rows');
  await owner.selectOption({ label: '我的' });
  await eventually(async () => {
    const rows = await listedRows(page);
    return rows.length > 0 && rows.every((r) => r.owner === '我');
  }, 'only sales1’s own leads, each saying 我');
  await owner.selectOption({ label: '公共池（无负责人）' });
  // The pool may be empty at this point of the file: then the list says so.
  await eventually(async () => {
    const rows = await listedRows(page);
    const none = await page.getByText('没有符合条件的线索。', { exact: true }).isVisible();
    return rows.every((r) => r.owner === '公共池') && (rows.length > 0 || none);
  }, 'only the pool’s leads');
  await owner.selectOption({ label: '全部' });
  await page.screenshot({ path: path.join(SHOTS, 'lead-list-owners-sales-zh-768x1024.png') });
}, { timeout: 180_000 });

// Screenshots to look at: the list with its owners, and the manager's
// selection with its bar, in both languages at a tablet's and a laptop's size.
for (const [width, height] of [[768, 1024], [1280, 800]]) {
  for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']]) {
    e2eTest(`the lead list's owners and a manager's selection at ${width}x${height} in ${lang}`, fx, async ({ device }) => {
      const base = fx.server.url;
      const words = OWNER_TEXT[lang];
      const { page } = await device({ locale, viewport: { width, height } });
      await signIn(page, base, 'manager', lang);
      await page.goto(`${base}/leads`);
      await settled(page, 'the lead list');
      await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
      await eventually(async () => (await listedRows(page)).some((r) => r.owner === 'Li Wei'), 'the owners’ names');
      const filters = await page.locator('.lead-list__filters').boundingBox();
      assert.ok(filters.height <= 130 || width < 1024, `the filters take ${filters.height} px`);
      await page.screenshot({ path: path.join(SHOTS, `lead-list-owners-${lang}-${width}x${height}.png`) });
      await button(page, words.select).click();
      const rows = await listedRows(page);
      for (const r of rows.slice(0, 2)) {
        await rowOf(page, r.href).getByRole('checkbox', { name: r.name, exact: true }).check();
      }
      const handTo = page.getByRole('combobox', { name: words.handTo, exact: true });
      await eventually(async () => (await handTo.locator('option').allInnerTexts()).includes('Zhang Min'), 'the people to hand to');
      await handTo.selectOption({ label: 'Zhang Min' });
      assert.ok(await button(page, words.reassign).isEnabled(), 'Reassign ready');
      const { serious } = await audit(page);
      assert.deepEqual(serious, [], 'the list while selecting');
      assert.deepEqual(await smallTargets(page), [], 'finger-sized controls while selecting');
      await page.screenshot({ path: path.join(SHOTS, `lead-list-reassign-${lang}-${width}x${height}.png`) });
    }, { timeout: 180_000 });
  }
}

// The open pool and collisions (issue 22), on the demo month: three leads in
// the pool (one the manufacturer's, past its 12 h) and one customer both
// salespeople captured (陈静 of Li Wei, 曹阳 of Zhang Min). A salesperson's
// pool with its waits and Claim buttons, the collision notice on their
// lead, and the manager's merge screen, at a tablet's and a laptop's size
// in both languages — nothing serious for axe, finger-sized controls.
const POOL_TEXT = {
  en: { filter: 'Filter by owner', pool: 'Pool (no owner)', claim: 'Claim', overdue: /Overdue: waiting \d+ h of 12 h/, collision: /Also a lead of Zhang Min since/, merge: 'Merge the other lead into this one', heading: 'Same mobile number' },
  zh: { filter: '按负责人筛选', pool: '公共池（无负责人）', claim: '认领', overdue: /已超时：已等待 \d+ 小时（目标 12 小时）/, collision: /Zhang Min 自 .* 起也有这位客户的线索/, merge: '把另一条线索合并到这条', heading: '撞单：相同手机号' },
};
for (const [width, height] of [[768, 1024], [1280, 800]]) {
  for (const [locale, lang] of [['en-US', 'en'], ['zh-CN', 'zh']]) {
    e2eTest(`the pool, a collision and the merge screen at ${width}x${height} in ${lang}`, fx, async ({ device }) => {
      const base = fx.server.url;
      const words = POOL_TEXT[lang];
      const size = `${width}x${height}`;
      const { page } = await device({ locale, viewport: { width, height } });
      await signIn(page, base, 'sales1', lang);
      await page.goto(`${base}/leads`);
      await settled(page, 'the lead list');
      await eventually(async () => (await page.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
      await page.getByRole('combobox', { name: words.filter, exact: true }).selectOption({ label: words.pool });
      await seeVisible(page.getByRole('button', { name: new RegExp(`^${words.claim} `) }).first(), 'a Claim button on a pool row');
      // (Other tests of this file may have put more leads in the pool.)
      await seeVisible(page.locator('.lead-row__due--late').filter({ hasText: words.overdue }), "the manufacturer's lead, past its target");
      let found = await audit(page);
      assert.deepEqual(found.serious, [], 'the pool');
      assert.deepEqual(await smallTargets(page), [], 'finger-sized controls in the pool');
      await page.screenshot({ path: path.join(SHOTS, `pool-sales-${lang}-${size}.png`) });
      await page.getByRole('combobox', { name: words.filter, exact: true }).selectOption({ index: 0 });
      await page.getByRole('link', { name: /^\s*陈静/ }).click();
      const panel = page.getByRole('region', { name: words.heading, exact: true });
      await seeText(panel, words.collision, "sales1's lead names Zhang Min", 30_000);
      assert.equal(await button(page, words.merge).count(), 0, 'a salesperson does not decide');
      found = await audit(page);
      assert.deepEqual(found.serious, [], 'the collision notice');
      await page.screenshot({ path: path.join(SHOTS, `collision-notice-sales-${lang}-${size}.png`) });

      const m = (await device({ locale, viewport: { width, height } })).page;
      await signIn(m, base, 'manager', lang);
      await m.goto(`${base}/leads`);
      await settled(m, 'the lead list');
      await eventually(async () => (await m.locator('a.lead-row__link').count()) > 5, 'the demo leads', 60_000);
      await m.getByRole('link', { name: /^\s*陈静/ }).click();
      await seeVisible(button(m, words.merge), 'the merge button', 30_000);
      found = await audit(m);
      assert.deepEqual(found.serious, [], 'the merge screen');
      assert.deepEqual(await smallTargets(m), [], 'finger-sized controls on the merge screen');
      await m.getByRole('region', { name: words.heading, exact: true }).scrollIntoViewIfNeeded();
      await m.screenshot({ path: path.join(SHOTS, `collision-merge-manager-${lang}-${size}.png`) });
    }, { timeout: 180_000 });
  }
}
