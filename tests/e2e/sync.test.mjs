// Offline capture and sync between tablets, through the real server (issue 3):
// a lead captured and edited offline survives a reload and reaches the dealer's other
// tablet live once the network is back; concurrent offline edits of one lead merge on
// both tablets; another dealer never receives it; two tabs of one tablet stay in step;
// a message the tablet cannot read is said in the Sync pill and a new connection recovers.
//
// Each test starts its own server, so each begins with no leads at all.

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  useFixtures, e2eTest, startServer, login, waitForServiceWorkerControl, heading, button,
  navLink, connectionStatus, syncStatus, seeVisible, seeHidden, seeText, seePath, eventually,
  indexedDbCounts, indexedDbStoresContaining, deviceDocuments, ARTIFACTS,
} from './harness.mjs';

const fx = useFixtures({ server: false });

const LANDSCAPE = { width: 1280, height: 800 };
const PORTRAIT = { width: 768, height: 1024 };
/** The issue asks for "within a second"; the test allows a busy CI machine ten. */
const LIVE_TIMEOUT = 10_000;

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A server of the test's own (its output goes into the failure report). */
async function ownServer(servers) {
  const server = await startServer();
  servers.push(server);
  return server;
}

/** Signs `d` in as `user`, waits for the service worker and opens the Leads list. */
async function signIn(d, base, user) {
  await login(d.page, base, user);
  await waitForServiceWorkerControl(d.page);
  await openLeads(d.page);
}

async function openLeads(page) {
  await navLink(page, 'Leads').click();
  await seePath(page, '/leads');
  await seeVisible(heading(page, 'Leads'), 'the "Leads" heading');
}

/** The list's row (a link whose name starts with the customer's name). */
const leadRow = (page, name) =>
  page.getByRole('link', { name: new RegExp(`^\\s*${escapeRegExp(name)}`) });

const field = (page, label) => page.getByRole('textbox', { name: label, exact: true });
const stageBox = (page) => page.getByRole('combobox', { name: 'Stage', exact: true });
const notesList = (page) => page.getByRole('list', { name: 'Notes', exact: true });

/** The number in the sync pill's "N waiting" (0 for any other state). */
async function waitingCount(page) {
  const text = await syncStatus(page).innerText({ timeout: 1_000 });
  const m = /(\d+) waiting/.exec(text);
  return m ? Number(m[1]) : 0;
}

async function seeWaiting(page, atLeast, what) {
  let last = '?';
  await eventually(
    async () => {
      last = await syncStatus(page).innerText({ timeout: 1_000 });
      const m = /(\d+) waiting/.exec(last);
      return m && Number(m[1]) >= atLeast;
    },
    () => `expected the Sync pill ${what} to show at least ${atLeast} waiting, it showed "${last}"`,
  );
  return waitingCount(page);
}

/** Fills the New lead form (name, mobile, grade, model [, city]) and saves it; ends on its record. */
async function createLead(page, { name, mobile, grade, model, city }) {
  await page.getByRole('link', { name: 'New lead', exact: true }).click();
  await seePath(page, '/leads/new');
  await field(page, 'Customer name').fill(name);
  await field(page, 'Mobile').fill(mobile);
  const grades = page.getByRole('group', { name: 'Intent grade', exact: true });
  await button(grades, grade).click();
  assert.equal(await button(grades, grade).getAttribute('aria-pressed'), 'true', `grade ${grade} is chosen`);
  await page.getByRole('combobox', { name: 'Model', exact: true }).fill(model);
  if (city) {
    await page.getByText('More details', { exact: true }).click();
    await field(page, 'City').fill(city);
  }
  await button(page, 'Save').click();
  await seeVisible(heading(page, name), `the new lead's record ("${name}")`);
  await seeVisible(page.getByRole('status').filter({ hasText: 'Saved on this device' }), '"Saved on this device"');
  assert.match(new URL(page.url()).pathname, /^\/leads\/[^/]+$/, 'the app shows the saved lead');
}

/**
 * Edits the open record's text fields (`{label: value}`): each is saved when
 * it is left (Tab), the stage when it is chosen; waits until the change is
 * counted.
 */
async function editFields(page, values, { stage } = {}) {
  const before = await waitingCount(page);
  for (const [label, value] of Object.entries(values)) {
    await field(page, label).fill(value);
    await field(page, label).press('Tab');
  }
  if (stage) await stageBox(page).selectOption({ label: stage });
  await seeVisible(page.getByRole('status').filter({ hasText: 'Saved on this device' }), '"Saved on this device"');
  await seeWaiting(page, before + 1, 'after the fields were left');
  // The pill moved, so the save landed; nothing was refused.
  assert.equal(await page.getByRole('alert').count(), 0, `no error after saving: ${await page.getByRole('alert').allInnerTexts()}`);
}

/** Adds a note to the open record; waits until it is listed and counted. */
async function addNote(page, text) {
  const before = await waitingCount(page);
  await page.getByRole('textbox', { name: 'New note', exact: true }).fill(text);
  await button(page, 'Add note').click();
  await seeVisible(notesList(page).getByText(text, { exact: true }), `the note "${text}" in the Notes list`);
  await seeWaiting(page, before + 1, 'after "Add note"');
}

/** The selected option's text of the record's Stage box. */
const stageShown = (page) => stageBox(page).evaluate((s) => s.selectedOptions[0]?.textContent.trim());

/** Waits until the open record shows every expected field value, stage and note. */
async function seeRecord(page, who, { name, fields = {}, stage, notes = [] }) {
  await seeVisible(heading(page, name), `${who}: the record of "${name}"`);
  for (const note of notes) {
    await seeVisible(notesList(page).getByText(note, { exact: true }), `${who}: the note "${note}"`);
  }
  const shown = {};
  await eventually(
    async () => {
      for (const label of Object.keys(fields)) shown[label] = await field(page, label).inputValue({ timeout: 1_000 });
      if (stage) shown.Stage = await stageShown(page);
      return (
        Object.entries(fields).every(([label, v]) => shown[label] === v) && (!stage || shown.Stage === stage)
      );
    },
    () => `${who}: expected the record to show ${JSON.stringify({ ...fields, ...(stage ? { Stage: stage } : {}) })}, it showed ${JSON.stringify(shown)}`,
  );
}

// ---------------------------------------------------------------------------

e2eTest(
  'a lead captured and edited offline survives a reload and reaches the other tablet live once online',
  fx,
  async ({ t, first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    await Promise.all([signIn(a, base, 'sales1'), signIn(b, base, 'manager')]);
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill before going offline");

    await a.context.setOffline(true);
    await seeText(connectionStatus(a.page), 'Offline', "A's Connection status");
    const lead = { name: 'Chen Offline', mobile: '13800138001', grade: 'H', model: 'BYD Song PLUS' };
    await createLead(a.page, lead);
    await seeWaiting(a.page, 1, 'on A after saving offline');
    await editFields(a.page, { City: 'Hangzhou' });
    await addNote(a.page, 'Called from the showroom floor, wants a test drive');
    const waiting = await waitingCount(a.page);
    t.diagnostic(`A has ${waiting} changes waiting while offline`);
    const recordPath = new URL(a.page.url()).pathname;

    // A reload offline: the service worker serves the app, IndexedDB has the lead.
    await a.page.reload();
    assert.equal(new URL(a.page.url()).pathname, recordPath, 'the reload stays on the record');
    await seeText(connectionStatus(a.page), 'Offline', "A's Connection status after the reload");
    await seeRecord(a.page, 'A after an offline reload', {
      name: lead.name,
      fields: { City: 'Hangzhou' },
      notes: ['Called from the showroom floor, wants a test drive'],
    });
    await seeText(syncStatus(a.page), `${waiting} waiting`, "A's Sync pill after the offline reload");
    await openLeads(a.page);
    await seeVisible(leadRow(a.page, lead.name), "the lead in A's list after the offline reload");
    await a.page.reload();
    await seeVisible(leadRow(a.page, lead.name), "the lead in A's list after reloading the list offline");
    await seeText(connectionStatus(a.page), 'Offline', "A's Connection status after the second reload");
    await seeText(syncStatus(a.page), `${waiting} waiting`, "A's Sync pill after the second reload");

    // B (online all along) has not got it.
    await seeText(connectionStatus(b.page), 'Online', "B's Connection status");
    assert.equal(await leadRow(b.page, lead.name).count(), 0, "B's list must not have the lead while A is offline");
    await seeVisible(b.page.getByText('No leads on this device yet.', { exact: true }), "B's empty list");

    // A back online: B's list shows the lead without a reload.
    const bUrlBefore = b.page.url();
    const navigations = [];
    b.page.on('framenavigated', (f) => f === b.page.mainFrame() && navigations.push(f.url()));
    const started = Date.now();
    await a.context.setOffline(false);
    await seeVisible(leadRow(b.page, lead.name), "the lead in B's list once A is online", LIVE_TIMEOUT);
    const latency = Date.now() - started;
    console.log(`live propagation: A back online -> lead in B's list after ${latency} ms`);
    t.diagnostic(`live propagation: A back online -> lead in B's list after ${latency} ms`);
    assert.equal(b.page.url(), bUrlBefore, 'B did not navigate');
    assert.deepEqual(navigations, [], 'B did not reload');
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill once its changes are acknowledged");
    await seeText(connectionStatus(a.page), 'Online', "A's Connection status once online");

    // B opens it: the city and the note came along.
    await leadRow(b.page, lead.name).click();
    await seeRecord(b.page, 'B', {
      name: lead.name,
      fields: { City: 'Hangzhou' },
      notes: ['Called from the showroom floor, wants a test drive'],
    });
    const mobile = await field(b.page, 'Mobile').inputValue();
    assert.match(mobile.replace(/\D/g, ''), /13800138001$/, `B sees A's mobile number (shows "${mobile}")`);
    const models = b.page.getByRole('button', { name: `Remove ${lead.model}`, exact: true });
    await seeVisible(models, `B sees the model "${lead.model}"`);
    const grades = b.page.getByRole('group', { name: 'Intent grade', exact: true });
    assert.equal(await button(grades, 'H').getAttribute('aria-pressed'), 'true', 'B sees grade H');
  },
  { viewport: LANDSCAPE },
);

e2eTest(
  'two tablets edit the same lead offline: after both reconnect both show both edits and both notes',
  fx,
  async ({ t, first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    await Promise.all([signIn(a, base, 'sales1'), signIn(b, base, 'manager')]);

    const name = 'Liu Both';
    await createLead(a.page, { name, mobile: '13900139002', grade: 'A', model: 'Tesla Model Y' });
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill after saving online");
    await seeVisible(leadRow(b.page, name), "the lead in B's list");
    await leadRow(b.page, name).click();
    await seeVisible(heading(b.page, name), "B's record of the lead");
    await seeText(syncStatus(b.page), 'Synced', "B's Sync pill before going offline");

    await Promise.all([a.context.setOffline(true), b.context.setOffline(true)]);
    await seeText(connectionStatus(a.page), 'Offline', "A's Connection status");
    await seeText(connectionStatus(b.page), 'Offline', "B's Connection status");

    await editFields(a.page, { WeChat: 'liu_wx_88' });
    await addNote(a.page, 'note from A');
    await editFields(b.page, { City: 'Suzhou' }, { stage: 'Visited' });
    await addNote(b.page, 'note from B');
    // Each tablet still has only its own edits.
    await seeRecord(a.page, 'A offline', { name, fields: { WeChat: 'liu_wx_88', City: '' }, notes: ['note from A'] });
    await seeRecord(b.page, 'B offline', { name, fields: { WeChat: '', City: 'Suzhou' }, stage: 'Visited', notes: ['note from B'] });
    assert.equal(await notesList(a.page).getByText('note from B').count(), 0, "A cannot have B's note yet");
    assert.equal(await notesList(b.page).getByText('note from A').count(), 0, "B cannot have A's note yet");

    const started = Date.now();
    await Promise.all([a.context.setOffline(false), b.context.setOffline(false)]);
    const merged = {
      name,
      fields: { WeChat: 'liu_wx_88', City: 'Suzhou' },
      stage: 'Visited',
      notes: ['note from A', 'note from B'],
    };
    // Without a reload: the open records refresh themselves.
    await Promise.all([seeRecord(a.page, 'A after reconnecting', merged), seeRecord(b.page, 'B after reconnecting', merged)]);
    t.diagnostic(`both tablets showed the merged lead ${Date.now() - started} ms after reconnecting`);
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill after reconnecting");
    await seeText(syncStatus(b.page), 'Synced', "B's Sync pill after reconnecting");
    for (const [who, d] of [['A', a], ['B', b]]) {
      assert.equal(await notesList(d.page).getByRole('listitem').count(), 2, `${who} shows exactly two notes`);
    }

    // And the same after opening the lead afresh (what is stored, not only what is on screen).
    for (const [who, d] of [['A', a], ['B', b]]) {
      await d.page.reload();
      await seeRecord(d.page, `${who} after a reload`, merged);
    }
  },
  { viewport: LANDSCAPE },
);

e2eTest(
  "another dealer's tablet never receives the lead",
  fx,
  async ({ t, first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    const rival = await device({ viewport: PORTRAIT });
    await Promise.all([signIn(a, base, 'sales1'), signIn(b, base, 'manager'), signIn(rival, base, 'rival1')]);
    await seeText(rival.page.getByRole('banner'), 'Rival Auto', "rival1's header");

    // Offline capture, then sync: the same path as the first test.
    const name = 'Zhao Secret';
    await a.context.setOffline(true);
    await createLead(a.page, { name, mobile: '13700137003', grade: 'B', model: 'Toyota Camry' });
    await addNote(a.page, 'confidential: budget 250k');
    await a.context.setOffline(false);
    await seeVisible(leadRow(b.page, name), "the lead in B's list", LIVE_TIMEOUT);
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill");

    const rivalEmpty = async (when) => {
      await seeText(connectionStatus(rival.page), 'Online', `rival1's Connection status ${when}`);
      await seeVisible(rival.page.getByText('No leads on this device yet.', { exact: true }), `rival1's empty list ${when}`);
      assert.equal(await leadRow(rival.page, name).count(), 0, `rival1's list has no "${name}" ${when}`);
      const search = rival.page.getByRole('searchbox', { name: 'Search leads', exact: true });
      await search.fill('Zhao');
      assert.equal(await leadRow(rival.page, name).count(), 0, `searching "Zhao" finds nothing for rival1 ${when}`);
      await search.fill('13700137003');
      assert.equal(await leadRow(rival.page, name).count(), 0, `searching the mobile finds nothing for rival1 ${when}`);
      await search.fill('');
      const counts = await indexedDbCounts(rival.page, 'showroom', ['summaries', 'docs', 'doc_changes']);
      const documents = await deviceDocuments(rival.page);
      t.diagnostic(`rival1's IndexedDB ${when}: ${JSON.stringify(counts)}, documents ${JSON.stringify(documents)}`);
      assert.equal(counts.summaries, 0, `rival1's IndexedDB holds no lead summaries ${when}`);
      // The one document it may hold is its own dealer's catalogue, not Demo Motors'.
      const demoMotors = (await deviceDocuments(a.page)).filter((d) => d.startsWith('dealer:'));
      assert.equal(demoMotors.length, 1, "A holds Demo Motors' catalogue");
      assert.ok(documents.length <= 1 && documents.every((d) => d.startsWith('dealer:')), `rival1 holds only a dealer's catalogue ${when}: ${documents}`);
      assert.ok(!documents.includes(demoMotors[0]), `rival1 holds no document of Demo Motors ${when}`);
      const leaked = await indexedDbStoresContaining(rival.page, name);
      assert.deepEqual(leaked.found, [], `the customer's name is in rival1's storage ${when}`);
    };
    // The probe below finds the lead where it belongs.
    const own = await indexedDbCounts(a.page, 'showroom', ['summaries', 'docs']);
    assert.equal(own.summaries, 1, `sales1's IndexedDB holds the lead's summary (${JSON.stringify(own)})`);
    const found = (await indexedDbStoresContaining(a.page, name)).found;
    assert.ok(found.includes('showroom/summaries'), `the customer's name is findable in sales1's storage (${found})`);

    // Live: rival1 stayed online and connected while the lead synced.
    await rivalEmpty('while connected');

    // A fresh connection asks the server for everything rival1 may have: still nothing.
    // Wait until that connection has caught up (the device records when it last did).
    const lastSync = () =>
      rival.page.evaluate(async () => {
        const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        const db = await req(indexedDB.open('showroom'));
        try {
          return await req(db.transaction('meta', 'readonly').objectStore('meta').get('last_sync'));
        } finally {
          db.close();
        }
      });
    const before = await lastSync();
    assert.equal(typeof before, 'number', `rival1's device has synced before (last_sync: ${before})`);
    await rival.page.reload();
    await seeVisible(heading(rival.page, 'Leads'), "rival1's Leads list after a reload");
    let after;
    await eventually(
      async () => (after = await lastSync()) > before,
      () => `rival1's device did not finish a sync after the reload (last_sync ${before} -> ${after})`,
    );
    await rivalEmpty('after a fresh sync');
  },
  { viewport: LANDSCAPE },
);

e2eTest(
  'two tabs of one tablet: a lead saved in either tab shows in the other without a reload',
  fx,
  async ({ first: a, tab, device, servers }) => {
    const { url: base } = await ownServer(servers);
    const b = await device({ viewport: PORTRAIT });
    await Promise.all([signIn(a, base, 'sales1'), signIn(b, base, 'manager')]);
    const second = await tab(a);
    await second.page.goto(`${base}/leads`);
    await seeVisible(heading(second.page, 'Leads'), 'the "Leads" heading in the second tab');
    await seeVisible(second.page.getByText('No leads on this device yet.', { exact: true }), "the second tab's empty list");

    // Saved in the first tab (the one that syncs: it started first).
    await createLead(a.page, { name: 'Sun First', mobile: '13600136004', grade: 'C', model: 'Honda Accord' });
    await seeVisible(leadRow(second.page, 'Sun First'), "the first tab's lead in the second tab's list");

    // Saved in the second tab: it shows in the first, and the syncing tab sends it.
    await createLead(second.page, { name: 'Sun Second', mobile: '13600136005', grade: 'A', model: 'BYD Qin PLUS' });
    await seeVisible(leadRow(a.page, 'Sun Second'), "the second tab's lead in the first tab's list");
    await seeText(syncStatus(a.page), 'Synced', "the first tab's Sync pill");
    await seeText(syncStatus(second.page), 'Synced', "the second tab's Sync pill");
    await seeVisible(leadRow(second.page, 'Sun First'), "the first lead still in the second tab's list");
    // Both reached the server: the manager's tablet has them.
    await seeVisible(leadRow(b.page, 'Sun First'), "the first tab's lead on the manager's tablet", LIVE_TIMEOUT);
    await seeVisible(leadRow(b.page, 'Sun Second'), "the second tab's lead on the manager's tablet", LIVE_TIMEOUT);
    await seeText(syncStatus(a.page), 'Synced', "the first tab's Sync pill at the end");
    await seeText(syncStatus(second.page), 'Synced', "the second tab's Sync pill at the end");
    const counts = await indexedDbCounts(a.page, 'showroom', ['summaries', 'outbox']);
    assert.deepEqual(counts, { summaries: 2, outbox: 0 }, 'the device holds both leads and nothing is left in the outbox');
  },
  { viewport: LANDSCAPE },
);

e2eTest(
  'a message the tablet cannot read is said in the Sync pill, and the next connection catches up from the unchanged cursor',
  fx,
  async ({ t, first: a, device, servers }) => {
    const { url: base } = await ownServer(servers);
    // sales1's other tablet saves a lead before A ever syncs: it is in the first page A receives.
    const b = await device();
    await login(b.page, base, 'sales1');
    await openLeads(b.page);
    const name = 'Wu Garbled';
    await createLead(b.page, { name, mobile: '13500135006', grade: 'A', model: 'NIO ET5' });
    await seeText(syncStatus(b.page), 'Synced', "B's Sync pill once the lead reached the server");

    // A's sync connections go through a proxy to the real server. While `garble` holds,
    // the first message of each connection from the server is replaced with bytes no
    // decoder accepts (a Changes kind byte, then a varint that never ends).
    let garble = true;
    const connections = [];
    await a.page.routeWebSocket(/\/sync$/, (ws) => {
      const server = ws.connectToServer();
      const c = { fromServer: 0, garbled: false };
      connections.push(c);
      server.onMessage((message) => {
        c.fromServer += 1;
        if (garble && c.fromServer === 1) {
          c.garbled = true;
          ws.send(Buffer.from([0x81, 0xff]));
        } else {
          ws.send(message);
        }
      });
    });
    const storedCursor = () =>
      a.page.evaluate(async () => {
        const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
        const db = await req(indexedDB.open('showroom'));
        try {
          return (await req(db.transaction('meta', 'readonly').objectStore('meta').get('cursor'))) ?? null;
        } finally {
          db.close();
        }
      });

    await login(a.page, base, 'sales1');
    await openLeads(a.page);
    const cantRead = "Can't read what the server sent — retrying";
    await seeText(syncStatus(a.page), cantRead, "A's Sync pill after a message it cannot read");
    const title = await syncStatus(a.page).getAttribute('title');
    assert.match(title ?? '', /could not read a message from the server: the message ends too early/,
      `the pill's tooltip gives the decoder's reason (title: "${title}")`);
    await a.page.screenshot({ path: path.join(ARTIFACTS, 'sync-unreadable-768x1024.png') });
    assert.equal(await leadRow(a.page, name).count(), 0, 'nothing of the unreadable page was applied');
    assert.equal(await storedCursor(), null, "A's stored cursor did not move");
    const garbled = connections.filter((c) => c.garbled).length;
    assert.ok(garbled >= 1, 'the proxy garbled a message');
    assert.ok(connections.every((c) => c.garbled || c.fromServer === 0), 'nothing reached A untouched yet');

    // The proxy now passes everything through: the next connection asks again from the cursor.
    garble = false;
    await seeText(syncStatus(a.page), 'Synced', "A's Sync pill once a connection caught up", 40_000);
    await seeVisible(leadRow(a.page, name), "B's lead in A's list after the recovery");
    await seeHidden(a.page.getByText(cantRead), 'the "can\'t read" state');
    const cursor = await storedCursor();
    assert.ok(typeof cursor === 'number' && cursor > 0, `A's cursor moved once it read the page (cursor: ${cursor})`);
    assert.ok(connections.length > garbled, `A reconnected on its own (${connections.length} connections)`);
    t.diagnostic(`${garbled} garbled connection(s), then ${connections.length - garbled} clean; cursor ${cursor}`);
  },
  { viewport: PORTRAIT },
);
