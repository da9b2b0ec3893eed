// Screenshots for the docs (tests/e2e/artifacts/): the login and Today pages on a
// tablet (768x1024) and a laptop (1280x800). They fail only if the pages do not render.

import path from 'node:path';
import {
  useFixtures, e2eTest, login, heading, seeVisible, ARTIFACTS,
} from './harness.mjs';

const fx = useFixtures();

for (const [width, height] of [[768, 1024], [1280, 800]]) {
  e2eTest(`screenshots of the login and Today pages at ${width}x${height}`, fx, async ({ page }) => {
    const base = fx.server.url;
    await page.goto(`${base}/login`);
    await seeVisible(heading(page, 'Sign in'), 'the "Sign in" heading');
    await page.screenshot({ path: path.join(ARTIFACTS, `login-${width}x${height}.png`) });
    await login(page, base, 'sales1');
    await seeVisible(heading(page, 'Today'), 'the "Today" heading');
    await page.screenshot({ path: path.join(ARTIFACTS, `today-${width}x${height}.png`) });
  }, { viewport: { width, height } });
}
