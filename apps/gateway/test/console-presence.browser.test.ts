import { afterEach, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';
import { accessibilityViolations, connectWith, live, openConsole, screenshot, token } from './support/console-page.js';
import { runsWith, startGateway, stopAllGateways, TestClient } from '@ns/testkit';

// Presence in the console (headless Chromium, the real gateway): every channel's subscriber and user
// counts in the channel list, updating as clients come and go; for admins, a channel's users.

const runs = runsWith(chromiumMissing() ?? undefined, 'console-presence.browser.test');
const SECRET = 'console-presence-secret-0123456789abcdef';

let browser: HeadlessChromium | undefined;
const sockets: TestClient[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await browser?.close();
  browser = undefined;
  await stopAllGateways();
});

describe.runIf(runs)('console presence in headless Chromium', () => {
  it(
    'shows subscriber and user counts per channel that update as clients come and go; an admin opens a channel\'s users',
    async () => {
      browser = await launchChromium();
      const gw = await startGateway({ NS_JWT_SECRET: SECRET });
      const { page, problems } = await openConsole(browser, gw.url);
      await connectWith(page, await token(SECRET, 'u_root', 'root', ['admin']));
      await live(page, 'threats');
      const stats = page.locator('li[data-channel="threats"] .stats');
      // The console itself: one connection of one user.
      await expect.poll(() => stats.textContent(), { timeout: 20_000 }).toMatch(/ 1 subs · 1 users /);

      const alice = await token(SECRET, 'u_alice', 'alice', ['analyst']);
      for (let i = 0; i < 2; i++) {
        const c = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${alice}` } });
        sockets.push(c);
        await c.subscribe('threats');
      }
      await expect.poll(() => stats.textContent(), { timeout: 20_000 }).toMatch(/ 3 subs · 2 users /);

      const who = page.locator('li[data-channel="threats"] button.who');
      await expect(who.isVisible()).resolves.toBe(true);
      await who.click();
      const aliceRow = page.locator('li[data-channel="threats"] ul.presence li[data-user="u_alice"]');
      await aliceRow.waitFor();
      await expect(aliceRow.textContent()).resolves.toMatch(/^alice · 2 conn · \d+ s$/);
      await expect(page.locator('li[data-channel="threats"] ul.presence li[data-user="u_root"]').textContent()).resolves.toMatch(/^root · 1 conn/);
      await screenshot(page, 'console-presence');
      expect(await accessibilityViolations(page)).toEqual([]);

      // Alice leaves: the counts and the open list follow.
      sockets.pop()?.ws.terminate();
      await expect.poll(() => stats.textContent(), { timeout: 20_000 }).toMatch(/ 2 subs · 2 users /);
      await expect.poll(() => aliceRow.textContent(), { timeout: 20_000 }).toMatch(/^alice · 1 conn/);
      expect(problems.filter((p) => !p.includes('/ws'))).toEqual([]);
    },
    120_000,
  );

  it(
    'shows no users button to a non-admin',
    async () => {
      browser = await launchChromium();
      const gw = await startGateway({ NS_JWT_SECRET: SECRET });
      const { page } = await openConsole(browser, gw.url);
      await connectWith(page, await token(SECRET, 'u_v', 'victor', ['analyst']));
      await live(page, 'threats');
      await expect.poll(() => page.locator('li[data-channel="threats"] .stats').textContent(), { timeout: 20_000 }).toMatch(/ 1 subs · 1 users /);
      await expect(page.locator('li[data-channel="threats"] button.who').isVisible()).resolves.toBe(false);
    },
    120_000,
  );
});
