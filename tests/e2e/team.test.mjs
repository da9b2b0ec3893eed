// The Team page: a manager revokes a salesperson's device and deactivates a
// salesperson, and the server stops honouring their sessions.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, api, apiLogin, login, navLink, heading, button, seeVisible, eventually,
} from './harness.mjs';

const fx = useFixtures();

e2eTest("a manager revokes a salesperson's device from the Team page", fx, async ({ page }) => {
  const base = fx.server.url;
  const tablet = await apiLogin(base, 'sales1', undefined, 'Floor tablet 7');
  const other = await apiLogin(base, 'sales1', undefined, 'Front desk PC');
  const name = tablet.session.user.display_name;

  await login(page, base, 'manager');
  await navLink(page, 'Team').click();
  await seeVisible(heading(page, 'Team'), 'the "Team" heading');
  await button(page, `Devices of ${name}`).click();
  await seeVisible(button(page, 'Revoke Floor tablet 7'), `the "Revoke Floor tablet 7" button among ${name}'s devices`);
  await button(page, 'Revoke Floor tablet 7').click();

  await eventually(
    async () => (await api(base, 'GET', '/api/v1/me', { token: tablet.token })).status === 401,
    'the revoked device must be signed out (GET /api/v1/me → 401)',
  );
  const still = await api(base, 'GET', '/api/v1/me', { token: other.token });
  assert.equal(still.status, 200, `only that device is revoked; the other one: ${still.status} ${still.text}`);
});

e2eTest('a manager deactivates a salesperson, who can then no longer sign in', fx, async ({ page }) => {
  const base = fx.server.url;
  const sales2 = await apiLogin(base, 'sales2');
  const name = sales2.session.user.display_name;

  await login(page, base, 'manager');
  await navLink(page, 'Team').click();
  await seeVisible(heading(page, 'Team'), 'the "Team" heading');
  await button(page, `Deactivate ${name}`).click();
  await seeVisible(button(page, 'Deactivate'), 'the "Deactivate" confirmation');
  await button(page, 'Deactivate').click();

  await eventually(
    async () => (await api(base, 'GET', '/api/v1/me', { token: sales2.token })).status === 401,
    "the deactivated user's session must end (GET /api/v1/me → 401)",
  );
  const again = await api(base, 'POST', '/api/v1/auth/login', {
    json: { username: 'sales2', password: 'showroom', device_name: 'e2e' },
  });
  assert.ok(again.status >= 400 && again.status < 500, `sales2 must not sign in again: ${again.status} ${again.text}`);
});
