// Through the real server: one dealer cannot see or touch another's users, and a
// revoked device is signed out.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  useFixtures, e2eTest, api, apiLogin, login, banner, heading, seeVisible, seePath, seeText,
} from './harness.mjs';

const fx = useFixtures();

e2eTest("another dealer's user gets the same 404 for sales1 as for a user that does not exist", fx, async () => {
  const base = fx.server.url;
  const sales1 = await apiLogin(base, 'sales1');
  const rival = await apiLogin(base, 'rival1');
  assert.equal(rival.session.dealer.name, 'Rival Auto');
  const sales1Id = sales1.session.user.id;
  const deviceId = sales1.session.device.id;
  const asRival = (method, path) => api(base, method, path, { token: rival.token });

  const cases = [
    ['GET', `/api/v1/users/${sales1Id}`, `/api/v1/users/${randomUUID()}`],
    ['GET', `/api/v1/users/${sales1Id}/devices`, `/api/v1/users/${randomUUID()}/devices`],
    ['DELETE', `/api/v1/users/${sales1Id}/devices/${deviceId}`, `/api/v1/users/${randomUUID()}/devices/${randomUUID()}`],
  ];
  for (const [method, real, missing] of cases) {
    const a = await asRival(method, real);
    const b = await asRival(method, missing);
    assert.equal(a.status, 404, `${method} ${real} as rival1: ${a.status} ${a.text}`);
    assert.equal(b.status, 404, `${method} ${missing} as rival1: ${b.status} ${b.text}`);
    assert.equal(a.text, b.text, `${method}: the answer for another dealer's user must not differ from a missing one`);
    assert.equal(a.headers.get('content-type'), b.headers.get('content-type'));
  }

  const list = await asRival('GET', '/api/v1/users');
  assert.equal(list.status, 200, list.text);
  assert.ok(!list.text.includes('sales1') && !list.text.includes(sales1Id), "rival1's user list shows no Demo Motors user");

  const me = await api(base, 'GET', '/api/v1/me', { token: sales1.token });
  assert.equal(me.status, 200, `sales1's session must survive rival1's attempt: ${me.status} ${me.text}`);
});

// A device signed out as lost or stolen gets no last delivery (issue 21): the
// open app clears at once. (A device signed out otherwise first delivers
// what it wrote: ownership.test.mjs.)
e2eTest('when a manager signs out a lost device, the open app signs out on reload with a notice', fx, async ({ page }) => {
  const base = fx.server.url;
  const session = await login(page, base, 'sales1');
  assert.ok(session?.session?.device?.id, 'the login response names the device');
  const manager = await apiLogin(base, 'manager');
  const revoke = await api(
    base,
    'DELETE',
    `/api/v1/users/${session.session.user.id}/devices/${session.session.device.id}?lost=true`,
    { token: manager.token },
  );
  assert.ok(revoke.status >= 200 && revoke.status < 300, `revoking: ${revoke.status} ${revoke.text}`);

  await page.reload();
  await seePath(page, '/login');
  await seeVisible(heading(page, 'Sign in'), 'the login page');
  await seeVisible(
    page.getByText('Your session has ended on this device. Please sign in again.', { exact: true }),
    'the "session has ended" notice',
  );
  assert.equal(await banner(page).getByText('sales1').count(), 0, 'sales1 is no longer signed in');
});
