import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';
import { accessibilityViolations, ARTIFACTS, live, openConsole, publish, screenshot, tab } from './support/console-page.js';
import { runsWith, startGateway, stopAllGateways } from '@ns/testkit';

// The console in headless Chromium (Debian's, driven by playwright-core), served by the real gateway
// process under its strict CSP: history on open, each panel, the layout down to 1024 px and an
// axe-core pass, with a screenshot of every panel in test-artifacts/.

const runs = runsWith(chromiumMissing() ?? undefined, 'console.browser.test');

let browser: HeadlessChromium | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await stopAllGateways();
});

// Globals of callbacks that run inside Chromium, typed just enough (no DOM lib in this package).
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };
declare const navigator: { clipboard: { readText(): Promise<string> } };
declare const performance: { now(): number };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const now = Date.now() / 1000;
const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
/** A threat of the n-th kind: levels in turn, seven source addresses, spread over the last 25 minutes. */
const threat = (n: number) => ({
  type: 'threat.new',
  data: { source_ip: `203.0.113.${n % 7}`, threat_score: 2 + (n % 8), threat_level: LEVELS[n % 4], timestamp: now - 1500 + n * 10, event_type: n % 2 ? 'ssh_login' : 'port_scan', dst_port: n % 2 ? 22 : 445 },
});

describe.runIf(runs)('console in headless Chromium', () => {
  it(
    'shows recent history on open, then live events with no gap and no duplicate; threats panel: counts, chart, top sources, detail with copy',
    async () => {
      browser = await launchChromium();
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
      const gw = await startGateway();
      // 120 threats before the page opens: history (HTTP), not replay, shows them.
      await publish(gw.url, Array.from({ length: 120 }, (_, n) => threat(n)));
      await publish(gw.url, [
        { type: 'status.update', data: { component: 'event_processor', status: 'healthy', message: 'consuming opencanary' } },
        { type: 'status.update', data: { component: 'ml_engine', status: 'degraded', message: 'model reload slow' } },
        { type: 'status.update', data: { component: 'honeypot_ssh', status: 'unhealthy', message: 'no events for 5 min' } },
      ]);

      const { page, problems } = await openConsole(browser, gw.url);
      const rows = page.locator('#threat-rows tr');
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#threat-rows tr').length === 120);
      const firstPaintMs = await page.evaluate(() => performance.now());
      await live(page, 'threats');
      // Published between history and subscription, and after: each shown once, in order.
      await publish(gw.url, Array.from({ length: 5 }, (_, n) => threat(120 + n)));
      await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#threat-rows tr').length >= 125);
      const seqs = (await rows.locator('td:last-child').allTextContents()).map(Number);
      expect(seqs).toEqual(Array.from({ length: 125 }, (_, i) => 125 - i));

      // Counts by level, and the top sources (seven addresses, 125 threats: the first six 18 each, the seventh 17).
      await expect(page.locator('#threat-counts').textContent()).resolves.toBe('31critical31high31medium32low125 threats');
      const top = await page.locator('#top-ips li').allTextContents();
      expect(top.slice(0, 2)).toEqual(['203.0.113.018', '203.0.113.118']);
      expect(top).toHaveLength(7);
      // uPlot drew the per-minute chart on a canvas.
      await expect(page.locator('#threat-chart canvas').count()).resolves.toBe(1);
      const badge = rows.first().locator('.badge');
      await expect(badge.textContent()).resolves.toBe('low');
      await expect(badge.evaluate((b) => getComputedStyle(b).backgroundColor)).resolves.toBe('rgb(76, 175, 122)');
      await expect(rows.nth(1).evaluate((tr) => (tr as unknown as { className: string }).className)).resolves.toContain('row-critical');
      await screenshot(page, 'console-threats');

      // A row opens the full event as JSON; Copy puts exactly that on the clipboard.
      await rows.first().click();
      await page.locator('#detail[open]').waitFor();
      const shown = JSON.parse((await page.locator('#detail-json').textContent()) ?? '');
      expect(shown).toMatchObject({ type: 'threat.new', channel: 'threats', seq: 125, data: threat(124).data });
      await page.click('#detail-copy');
      await page.locator('#detail-copied:text("copied")').waitFor();
      expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(shown);
      await screenshot(page, 'console-detail');
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.click('#detail-close');

      expect(await accessibilityViolations(page)).toEqual([]);
      writeFileSync(join(ARTIFACTS, 'console-first-paint.json'), `${JSON.stringify({ historyEvents: 120, firstPaintWithHistoryMs: Math.round(firstPaintMs) })}\n`);
      expect(problems).toEqual([]);
    },
    120_000,
  );

  it(
    'status board, metrics charts and the raw tail; the layout holds at 1024 px; no serious accessibility violation on any panel',
    async () => {
      browser = await launchChromium({ width: 1024, height: 720 });
      const gw = await startGateway();
      const { page, problems } = await openConsole(browser, gw.url);
      await live(page, 'status');
      await live(page, 'metrics');
      await publish(gw.url, [
        { type: 'status.update', data: { component: 'event_processor', status: 'healthy', message: 'consuming opencanary' } },
        { type: 'status.update', data: { component: 'honeypot_ssh', status: 'unhealthy', message: 'no events for 5 min' } },
        ...Array.from({ length: 12 }, (_, n) => ({
          type: 'metrics.update',
          data: { component: n % 2 ? 'event_processor' : 'ml_engine', metrics: { events_per_second: 400 + n * 7, queue_depth: n % 5, p99_ms: 4 + (n % 3) }, timestamp: now + n },
        })),
        { type: 'system.notice', data: { level: 'info', message: 'gateway test notice', timestamp: now } },
        ...Array.from({ length: 40 }, (_, n) => threat(n)),
      ]);

      await tab(page, 'status');
      const unhealthy = page.locator('#status-tiles [data-component="honeypot_ssh"]');
      await unhealthy.waitFor();
      await expect(unhealthy.getAttribute('data-status')).resolves.toBe('unhealthy');
      await expect(unhealthy.textContent()).resolves.toMatch(/no events for 5 min.*seen \d+ s ago/);
      await expect(page.locator('#status-tiles article').count()).resolves.toBe(2);
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, 'console-status');

      await tab(page, 'metrics');
      const card = page.locator('#metrics-cards [data-component="event_processor"]');
      await card.locator('figure[data-metric="p99_ms"] canvas').waitFor();
      await expect(card.locator('figure').count()).resolves.toBe(3);
      // The last of its six updates (n = 11): 400 + 77.
      await expect(card.locator('figure[data-metric="events_per_second"] .num').textContent()).resolves.toBe('477');
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, 'console-metrics');

      await tab(page, 'tail');
      await page.locator('#events tr[data-type="system.notice"]').waitFor();
      await page.fill('#search', 'honeypot');
      await expect(page.locator('#events tr:not([hidden])').count()).resolves.toBe(1);
      await page.fill('#search', '');
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, 'console-tail');

      await tab(page, 'threats');
      expect(await accessibilityViolations(page)).toEqual([]);
      // Nothing runs off the side of a 1024 px laptop screen.
      for (const t of ['threats', 'alerts', 'status', 'metrics', 'tail'] as const) {
        await tab(page, t);
        expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), t).toBeLessThanOrEqual(0);
      }
      await tab(page, 'alerts');
      expect(await accessibilityViolations(page)).toEqual([]);
      await tab(page, 'threats');
      await screenshot(page, 'console-1024');
      expect(problems).toEqual([]);
    },
    120_000,
  );
});
