import { afterEach, describe, expect, it } from 'vitest';
import { runsWith, startGateway, stopAllGateways } from '@ns/testkit';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';
import { live, openConsole, publish, screenshot } from './support/console-page.js';
import { startNoUpgradeProxy, type NoUpgradeProxy } from './support/no-upgrade-proxy.js';

// The console in headless Chromium behind a proxy that refuses every WebSocket upgrade (as some
// corporate proxies do): its client falls back to Server-Sent Events, the page says so, and live
// threats arrive in order.

const runs = runsWith(chromiumMissing() ?? undefined, 'console-sse.browser.test');

let browser: HeadlessChromium | undefined;
let proxy: NoUpgradeProxy | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await proxy?.close();
  proxy = undefined;
  await stopAllGateways();
});

const threat = (n: number) => ({
  type: 'threat.new',
  data: { source_ip: `198.51.100.${n % 9}`, threat_score: 3 + (n % 6), threat_level: 'high', timestamp: Date.now() / 1000, event_type: 'port_scan' },
});

describe.runIf(runs)('console behind a proxy that refuses WebSocket upgrades', () => {
  it('falls back to Server-Sent Events, shows it, and shows live threats with no gap or duplicate', { timeout: 120_000 }, async () => {
    browser = await launchChromium();
    const gw = await startGateway({ NS_IP_CONNECT_RATE: '1000' });
    proxy = await startNoUpgradeProxy(gw.port);
    const { page } = await openConsole(browser, proxy.url);
    await page.locator('[data-testid="transport"][data-transport="sse"]').waitFor({ timeout: 60_000 });
    await live(page, 'threats');
    await expect(page.locator('[data-testid="connection-state"]').getAttribute('data-state')).resolves.toBe('open');
    await expect(page.locator('[data-testid="transport"]').textContent()).resolves.toBe('via Server-Sent Events');
    expect(proxy.refusedUpgrades()).toBeGreaterThanOrEqual(2);

    await publish(gw.url, Array.from({ length: 8 }, (_, n) => threat(n)));
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('#threat-rows tr').length >= 8);
    const seqs = (await page.locator('#threat-rows tr td:last-child').allTextContents()).map(Number);
    expect(seqs).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    await screenshot(page, 'console-sse-fallback');
  });
});
