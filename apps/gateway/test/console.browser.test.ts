import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runsWith, startGateway, stopAllGateways } from '@ns/testkit';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';

// Issue 7's browser acceptance: headless Chromium (Debian's, driven by playwright-core) opens the console
// served by the real gateway process, which talks to /ws through @ns/ws-client's browser build under
// the page's strict CSP; the test publishes over HTTP and reads what the page rendered.

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-artifacts');
const SCREENSHOT = join(ARTIFACTS, 'console.png');

// CI must run this test; a developer without chromium gets one line, not a failure.
const runs = runsWith(chromiumMissing() ?? undefined, 'console.browser.test');

let browser: HeadlessChromium | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await stopAllGateways();
});

// The page's globals used by the callbacks that run inside Chromium, typed just enough: this package
// compiles without the DOM lib.
declare const document: {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { textContent: string | null } | null;
  getAnimations(): { finished: Promise<unknown> }[];
};
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const now = Date.now() / 1000;
const threat = (ip: string | null, score: number, level: string, extra: { event_type: string; dst_port: number; source?: string }) => ({
  type: 'threat.new',
  data: { source_ip: ip, threat_score: score, threat_level: level, timestamp: now, ...extra },
});

/** The colour each threat level's badge is painted with (style.css, --low … --critical). */
const LEVEL_COLOURS: Record<string, string> = {
  low: 'rgb(76, 175, 122)',
  medium: 'rgb(226, 185, 59)',
  high: 'rgb(240, 138, 60)',
  critical: 'rgb(255, 77, 94)',
};

describe.runIf(runs)('live console in headless Chromium', () => {
  it(
    'subscribes to threats through @ns/ws-client and shows published events live, colour-coded by threat level',
    async () => {
      browser = await launchChromium();
      const gw = await startGateway();
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()} (${msg.location().url})`);
      });
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));

      await page.goto(`${gw.url}/`);
      await page.locator('#state[data-state="open"]').waitFor();
      // Threats is ticked by default; the gateway confirmed the subscription once the channel is live.
      await expect(page.locator('#ch-threats').isChecked()).resolves.toBe(true);
      await page.locator('li[data-channel="threats"][data-live="true"]').waitFor();

      const threats = [
        threat('198.51.100.23', 2.1, 'low', { event_type: 'http_login', dst_port: 80 }),
        threat('203.0.113.54', 5.4, 'medium', { event_type: 'port_scan', dst_port: 445 }),
        threat('192.0.2.77', 7.8, 'high', { event_type: 'ssh_login', dst_port: 22 }),
        threat('203.0.113.9', 9.6, 'critical', { event_type: 'ssh_brute_force', dst_port: 22 }),
        // No address (contracts 0.2.0): the processor's "unknown" when the sensor sent no src_host.
        threat(null, 6.1, 'medium', { event_type: 'ssh_login', dst_port: 22, source: 'unknown' }),
      ];
      const res = await fetch(`${gw.url}/v1/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            ...threats,
            { type: 'alert.new', data: { id: 'alert_81', severity: 'critical', message: 'SSH brute force on honeypot ssh-01', source_ip: '203.0.113.9', timestamp: now } },
            { type: 'status.update', data: { component: 'event_processor', status: 'healthy', message: 'consuming opencanary' } },
          ],
        }),
      });
      expect(res.status).toBe(202);

      const rows = page.locator('tr[data-type="threat.new"]');
      await page.waitForFunction((n) => document.querySelectorAll('tr[data-type="threat.new"]').length === n, threats.length);
      await page.locator('tr[data-type="status.update"]').waitFor();
      // Newest first: the last published threat (the one without an address) is on top.
      const shown = await rows.evaluateAll((trs) =>
        trs.map((tr) => {
          const badge = tr.querySelector('.badge');
          return {
            level: badge?.textContent,
            badgeClass: badge?.className,
            colour: badge ? getComputedStyle(badge).backgroundColor : null,
            summary: tr.querySelector('.summary')?.textContent,
            critical: tr.classList.contains('row-critical'),
          };
        }),
      );
      expect(shown).toEqual(
        [...threats].reverse().map((t) => {
          const level = t.data.threat_level;
          return {
            level,
            badgeClass: `badge level-${level}`,
            colour: LEVEL_COLOURS[level],
            summary: `${t.data.source_ip ?? `${t.data.source} (no IP)`} score ${t.data.threat_score} · ${t.data.event_type} · port ${t.data.dst_port}`,
            critical: level === 'critical',
          };
        }),
      );
      await expect(page.locator('#components').textContent()).resolves.toContain('event_processor');
      // The poll of GET /v1/channels shows this page as the threats channel's one subscriber.
      await page.waitForFunction(() => /1 subs · #5/.test(document.querySelector('li[data-channel="threats"] .stats')?.textContent ?? ''));

      mkdirSync(ARTIFACTS, { recursive: true });
      // Let the fresh-row highlight finish so the screenshot shows the settled colours.
      await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // A CSP violation, a failed module import or a script error would all land here.
      expect(problems).toEqual([]);
    },
    60_000,
  );
});
