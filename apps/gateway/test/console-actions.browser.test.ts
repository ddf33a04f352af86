import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';
import { accessibilityViolations, connectWith, live, openConsole, publish, screenshot, tab, token } from './support/console-page.js';
import { runsWith, startGateway, stopAllGateways } from '@ns/testkit';

// What an analyst does in the console, in headless Chromium against the real gateway: Connect with a
// token (the channels refused before come up by themselves), acknowledge and resolve alerts with two
// browsers watching each other, a filter that does not parse, a reload, a gateway restart.

const runs = runsWith(chromiumMissing() ?? undefined, 'console-actions.browser.test');

const browsers: HeadlessChromium[] = [];

afterEach(async () => {
  for (const b of browsers.splice(0)) await b.close();
  await stopAllGateways();
});

async function chromium(): Promise<HeadlessChromium> {
  const b = await launchChromium();
  browsers.push(b);
  return b;
}

const now = Date.now() / 1000;
const alert = (id: string, severity: string, ageS: number, message: string) => ({ type: 'alert.new', data: { id, severity, message, timestamp: now - ageS, source_ip: '203.0.113.9' } });
const threat = (ip: string, level: string, score: number) => ({ type: 'threat.new', data: { source_ip: ip, threat_score: score, threat_level: level, timestamp: now } });

describe.runIf(runs)('console actions in headless Chromium', () => {
  it(
    'Connect with a token brings up the channels refused before; two browsers acknowledge and resolve, each seeing the other live',
    async () => {
      const secret = randomBytes(32).toString('hex');
      const gw = await startGateway({ NS_JWT_SECRET: secret });
      await publish(gw.url, [
        alert('alert_81', 'critical', 15 * 60, 'SSH brute force on honeypot ssh-01'),
        alert('alert_82', 'critical', 30, 'Port scan burst'),
        alert('alert_83', 'medium', 20 * 60, 'Unusual login hour'),
      ]);

      const a = await openConsole(await chromium(), gw.url);
      // Anonymous first: threats and alerts are refused, but stay ticked and say why.
      const refused = a.page.locator('li[data-channel="alerts"][data-state="refused"] .err');
      await refused.waitFor();
      await expect(refused.textContent()).resolves.toMatch(/^unauthorized: .*read:alerts.*press Connect\.$/);
      await expect(a.page.isChecked('#ch-alerts')).resolves.toBe(true);
      await expect(a.page.isChecked('#ch-threats')).resolves.toBe(true);

      // The Connect fix: paste a token, press Connect — nothing to re-tick by hand.
      await connectWith(a.page, await token(secret, 'u_alice', 'alice', ['analyst']));
      await live(a.page, 'alerts');
      await live(a.page, 'threats');
      await expect(a.page.locator('li[data-channel="alerts"] .err').textContent()).resolves.toBe('');
      await expect(a.page.locator('#principal').textContent()).resolves.toBe('as alice (read:events, read:alerts, write:alerts)');

      const b = await openConsole(await chromium(), gw.url);
      await connectWith(b.page, await token(secret, 'u_bob', 'bob', ['analyst']));
      await live(b.page, 'alerts');
      for (const p of [a.page, b.page]) await tab(p, 'alerts');

      // History fills the queue; the critical alert open for 15 minutes is highlighted (threshold 5), the fresh one and the medium one are not.
      const rowA = (id: string) => a.page.locator(`#alert-rows tr[data-alert-id="${id}"]`);
      const rowB = (id: string) => b.page.locator(`#alert-rows tr[data-alert-id="${id}"]`);
      await rowA('alert_83').waitFor();
      await expect(Promise.all(['alert_81', 'alert_82', 'alert_83'].map((id) => rowA(id).getAttribute('data-stale')))).resolves.toEqual(['true', 'false', 'false']);
      await screenshot(a.page, 'console-alerts-open');

      // Alice acknowledges with a note; Bob's console shows it live, with who and the note.
      await a.page.fill('#alert-note', 'taking this one');
      await rowA('alert_81').locator('button.act-acknowledge').click();
      await b.page.click('#alert-views button[data-view="acknowledged"]');
      await rowB('alert_81').waitFor();
      await expect(rowB('alert_81').locator('.state-cell').textContent()).resolves.toMatch(/^acknowledged by alice at [\d:.]+ — taking this one$/);
      await expect(rowB('alert_81').locator('button.act-acknowledge').isDisabled()).resolves.toBe(true);
      await expect(b.page.locator('#alert-views button[data-view="open"]').textContent()).resolves.toBe('open (2)');
      await screenshot(b.page, 'console-alerts-acknowledged');

      // Bob resolves it; Alice sees that live.
      await rowB('alert_81').locator('button.act-resolve').click();
      await a.page.click('#alert-views button[data-view="resolved"]');
      await rowA('alert_81').waitFor();
      await expect(rowA('alert_81').locator('.state-cell').textContent()).resolves.toMatch(/acknowledged by alice .*resolved by bob at /);

      // The gateway recorded each action once (an acknowledge from Bob now would be a duplicate).
      const history = (await (await fetch(`${gw.url}/v1/channels/alerts/history`, { headers: { authorization: `Bearer ${await token(secret, 'u_c', 'carol', ['viewer'])}` } })).json()) as { events: { type: string; data: { by?: string } }[] };
      expect(history.events.map((e) => `${e.type} ${e.data.by ?? ''}`.trim())).toEqual(['alert.new', 'alert.new', 'alert.new', 'alert.acknowledged alice', 'alert.resolved bob']);
      expect(await accessibilityViolations(a.page)).toEqual([]);
      await screenshot(a.page, 'console-alerts-resolved');
      expect([...a.problems, ...b.problems].filter((p) => !p.includes('/ws'))).toEqual([]);
    },
    150_000,
  );

  it(
    'a viewer sees the queue but cannot act: the buttons are disabled and say why',
    async () => {
      const secret = randomBytes(32).toString('hex');
      const gw = await startGateway({ NS_JWT_SECRET: secret });
      await publish(gw.url, [alert('alert_9', 'high', 60, 'Suspicious outbound traffic')]);
      const { page, problems } = await openConsole(await chromium(), gw.url);
      await connectWith(page, await token(secret, 'u_v', 'victor', ['viewer']));
      await live(page, 'alerts');
      await tab(page, 'alerts');
      const button = page.locator('#alert-rows tr[data-alert-id="alert_9"] button.act-acknowledge');
      await button.waitFor();
      await expect(button.isDisabled()).resolves.toBe(true);
      await expect(button.getAttribute('title')).resolves.toBe('needs a token with write:alerts');
      expect(problems.filter((p) => !p.includes('/ws'))).toEqual([]);
    },
    90_000,
  );

  it(
    'a filter that does not parse subscribes nothing and says why and where; fixed, it applies; a reload keeps channels and filters',
    async () => {
      const gw = await startGateway();
      const { page, problems } = await openConsole(await chromium(), gw.url);
      await live(page, 'threats');
      await tab(page, 'tail');

      await page.fill('li[data-channel="threats"] input.filter', '{"levels": ["critical"]');
      await page.press('li[data-channel="threats"] input.filter', 'Enter');
      const err = page.locator('li[data-channel="threats"] .err');
      await expect(err.textContent()).resolves.toMatch(/^filter is not valid JSON: .*position 23.* — threats is not subscribed until it parses\.$/);
      await expect(page.getAttribute('li[data-channel="threats"] input.filter', 'aria-invalid')).resolves.toBe('true');
      await page.locator('li[data-channel="threats"][data-live="false"]').waitFor();
      // The gateway agrees: nobody is subscribed to threats, so nothing of it arrives.
      await expect.poll(async () => ((await (await fetch(`${gw.url}/v1/channels`)).json()) as { channels: { name: string; subscribers: number }[] }).channels.find((c) => c.name === 'threats')?.subscribers).toBe(0);
      await publish(gw.url, [threat('198.51.100.1', 'low', 3), { type: 'system.notice', data: { level: 'info', message: 'marker 1', timestamp: now } }]);
      await page.locator('#events tr[data-type="system.notice"]').waitFor();
      await expect(page.locator('#events tr[data-type="threat.new"]').count()).resolves.toBe(0);
      await screenshot(page, 'console-invalid-filter');

      await page.fill('li[data-channel="threats"] input.filter', '{"levels": ["critical"]}');
      await page.press('li[data-channel="threats"] input.filter', 'Enter');
      await live(page, 'threats');
      await expect(err.textContent()).resolves.toBe('');
      await page.uncheck('#ch-alerts');
      await publish(gw.url, [threat('198.51.100.2', 'low', 3), threat('198.51.100.3', 'critical', 9.9), { type: 'system.notice', data: { level: 'info', message: 'marker 2', timestamp: now } }]);
      await page.locator('#events tr[data-type="system.notice"]:has-text("marker 2")').waitFor();
      await expect(page.locator('#events tr[data-type="threat.new"] .summary').allTextContents()).resolves.toEqual(['198.51.100.3 score 9.9']);

      // A reload keeps the analyst's choices (localStorage) and the tab.
      await page.reload();
      await live(page, 'threats');
      await expect(page.inputValue('li[data-channel="threats"] input.filter')).resolves.toBe('{"levels": ["critical"]}');
      await expect(page.isChecked('#ch-alerts')).resolves.toBe(false);
      await expect(page.locator('#panel-tail').isVisible()).resolves.toBe(true);
      expect(problems).toEqual([]);
    },
    90_000,
  );

  it(
    'reconnects after a gateway restart: reconnecting, a gap notice for the lost history, then live again',
    async () => {
      const first = await startGateway({ NS_SHUTDOWN_GRACE_S: '1' });
      const port = new URL(first.url).port;
      const { page } = await openConsole(await chromium(), first.url);
      await live(page, 'threats');
      await publish(first.url, [threat('192.0.2.1', 'medium', 5)]);
      await page.locator('#threat-rows tr').waitFor();

      first.child.kill('SIGTERM');
      await page.locator('#state[data-state="reconnecting"]').waitFor();
      await first.exited;
      const second = await startGateway({ NS_PORT: port });
      // The memory engine's history went with the first process: the client reports a gap.
      await page.locator('#notice:has-text("threats: events after #1 could not be replayed")').waitFor();
      await page.locator('#state[data-state="open"]').waitFor();
      await live(page, 'threats');
      await publish(second.url, [threat('192.0.2.2', 'high', 8)]);
      await expect.poll(() => page.locator('#threat-rows tr').count()).toBe(2);
      await expect(page.locator('#threat-rows tr .badge').first().textContent()).resolves.toBe('high');
      await screenshot(page, 'console-reconnected');
    },
    90_000,
  );
});
