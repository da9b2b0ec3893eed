// Signing in: who sees what, a wrong password, and the language switch.

import assert from 'node:assert/strict';
import {
  useFixtures, e2eTest, login, banner, mainNav, navLink, heading, button, connectionStatus,
  seeVisible, seeText, seePath, DEMO_DEALER,
} from './harness.mjs';

const fx = useFixtures();

e2eTest('a salesperson sees their dealer and name, and no Team page; a manager sees Team', fx, async ({ page, device }) => {
  const base = fx.server.url;
  await login(page, base, 'sales1');
  await seeText(banner(page), DEMO_DEALER, 'the header (dealer name)');
  await seeText(banner(page), 'sales1', 'the header (username)');
  await seeVisible(heading(page, 'Today'), 'the "Today" heading after signing in');
  await seeText(connectionStatus(page), 'Online', 'the Connection status');
  await seeVisible(navLink(page, 'Today'), 'the "Today" link in the main navigation');
  await seeVisible(navLink(page, 'Settings'), 'the "Settings" link in the main navigation');
  assert.equal(await navLink(page, 'Team').count(), 0, 'a salesperson must not get a "Team" link');

  const manager = await device();
  await login(manager.page, base, 'manager');
  await seeText(banner(manager.page), DEMO_DEALER, "the manager's header (dealer name)");
  await seeVisible(navLink(manager.page, 'Team'), 'the "Team" link for a manager');
  await seeVisible(navLink(manager.page, 'Today'), 'the "Today" link for a manager');
  await seeVisible(navLink(manager.page, 'Settings'), 'the "Settings" link for a manager');
  assert.ok(await mainNav(manager.page).isVisible());
});

e2eTest('a wrong password says so, keeps the username and stays on the login page', fx, async ({ page }) => {
  const base = fx.server.url;
  await page.goto(`${base}/login`);
  await seeVisible(heading(page, 'Sign in'), 'the "Sign in" heading');
  const deviceName = page.getByLabel('Device name', { exact: true });
  assert.notEqual((await deviceName.inputValue()).trim(), '', 'the device name should be prefilled');
  await page.getByLabel('Username', { exact: true }).fill('sales1');
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await button(page, 'Sign in').click();
  await seeText(page.getByRole('alert'), 'Wrong username or password.', 'the error alert');
  assert.equal(await page.getByLabel('Username', { exact: true }).inputValue(), 'sales1', 'the typed username must stay');
  await seePath(page, '/login');
  await seeVisible(heading(page, 'Sign in'), 'the login page, still');
  assert.equal(await banner(page).getByText('sales1').count(), 0, 'nobody is signed in');
});

e2eTest('choosing 中文 on the login page switches the language, and a reload keeps it', fx, async ({ page }) => {
  const base = fx.server.url;
  await page.goto(`${base}/login`);
  await seeVisible(heading(page, 'Sign in'), 'the "Sign in" heading');
  const language = page.getByRole('group', { name: 'Language' });
  await seeVisible(language, 'the "Language" group');
  await language.getByRole('button', { name: '中文', exact: true }).click();
  await seeVisible(heading(page, '登录'), 'the Chinese login heading "登录"');
  await page.reload();
  await seeVisible(heading(page, '登录'), 'the Chinese login heading "登录" after a reload');
  assert.equal(await heading(page, 'Sign in').count(), 0, 'the English heading must be gone');
});
