import { randomBytes } from 'node:crypto';
import { Browser, type BrowserPage } from 'happy-dom';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, stopAllGateways } from '@ns/testkit';

// The console page loaded by happy-dom (a DOM without a browser) from the real gateway process, the
// way a browser loads it: index.html, the app.js module and the @ns/ws-client build it imports from
// /console/ws-client.js, speaking to /ws over happy-dom's WebSocket. The Chromium test
// (console.browser.test.ts) covers rendering; this one covers behaviour cheaply.

const browsers: Browser[] = [];

afterEach(async () => {
  // Closing the page closes its WebSockets before the gateways go.
  for (const b of browsers.splice(0)) await b.close();
  await stopAllGateways();
});

/** Resolves once `check` holds for the page, re-checking on every DOM mutation. */
function waitFor(page: BrowserPage, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new page.mainFrame.window.MutationObserver(() => {
      if (check()) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(page.mainFrame.document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function openConsole(url: string): Promise<BrowserPage> {
  const browser = new Browser({
    settings: {
      // Our own page from our own gateway: running its scripts is the point.
      enableJavaScriptEvaluation: true,
      suppressInsecureJavaScriptEnvironmentWarning: true,
      disableJavaScriptFileLoading: false,
      disableCSSFileLoading: true,
      handleDisabledFileLoadingAsSuccess: true,
    },
  });
  browsers.push(browser);
  const page = browser.newPage();
  // Not waitUntilComplete(): the page's timers and socket keep it busy for as long as it is open.
  await page.goto(`${url}/`);
  return page;
}

const stateOf = (page: BrowserPage) => page.mainFrame.document.getElementById('state')?.getAttribute('data-state');
const isLive = (page: BrowserPage, channel: string) =>
  page.mainFrame.document.querySelector(`li[data-channel="${channel}"]`)?.getAttribute('data-live') === 'true';

async function publish(url: string, events: object[]): Promise<void> {
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(202);
}

const threat = (ip: string, score: number, level: string) => ({
  type: 'threat.new',
  data: { source_ip: ip, threat_score: score, threat_level: level, timestamp: 1764115200.1 },
});

describe('live console (GET /)', () => {
  it('serves the @ns/ws-client browser build it imports, under the console CSP', async () => {
    const gw = await startGateway();
    const app = await fetch(`${gw.url}/console/app.js`);
    expect(await app.text()).toContain("from './ws-client.js'");
    const bundle = await fetch(`${gw.url}/console/ws-client.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('text/javascript');
    expect(bundle.headers.get('content-security-policy')).toContain("script-src 'self'");
    const code = await bundle.text();
    expect(code).toContain('function createClient');
    // Self-contained: a browser resolves no bare specifier, so the build must import nothing.
    expect(code).not.toMatch(/^(import|export .* from)\b/m);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=ws-client.js.map')).toBe(true);
    const map = await fetch(`${gw.url}/console/ws-client.js.map`);
    expect(map.status).toBe(200);
    expect(((await map.json()) as { sources: string[] }).sources.some((s) => s.endsWith('client.ts'))).toBe(true);
  });

  it('connects, subscribes to the default channels and shows a colour-coded live tail with channel stats', async () => {
    const gw = await startGateway();
    const page = await openConsole(gw.url);
    const doc = page.mainFrame.document;
    await waitFor(page, () => stateOf(page) === 'open');
    await waitFor(page, () => isLive(page, 'threats') && isLive(page, 'alerts'));

    await publish(gw.url, [
      threat('203.0.113.9', 9.6, 'critical'),
      { type: 'alert.new', data: { id: 'alert_9', severity: 'high', message: 'SSH brute force from <b>203.0.113.9</b>', timestamp: 1764115200.2 } },
    ]);
    await waitFor(page, () => doc.querySelectorAll('tr[data-type]').length === 2);

    const row = doc.querySelector('tr[data-type="threat.new"]');
    expect(row?.querySelector('.badge')?.className).toBe('badge level-critical');
    expect(row?.classList.contains('row-critical')).toBe(true);
    expect(row?.textContent).toContain('203.0.113.9 score 9.6');
    const alert = doc.querySelector('tr[data-type="alert.new"]');
    expect(alert?.querySelector('.badge')?.className).toBe('badge level-high');
    // Event data is text, never markup.
    expect(alert?.querySelector('b')).toBeNull();
    expect(alert?.textContent).toContain('<b>203.0.113.9</b>');

    // Per-channel stats come from GET /v1/channels (polled): subscribers and the channel's seq.
    await waitFor(page, () => /1 subs · #1/.test(doc.querySelector('li[data-channel="threats"] .stats')?.textContent ?? ''));
  });

  it('applies a channel filter server-side and unsubscribes an unticked channel', async () => {
    const gw = await startGateway();
    const page = await openConsole(gw.url);
    const doc = page.mainFrame.document;
    await waitFor(page, () => isLive(page, 'threats') && isLive(page, 'alerts'));

    const filter = doc.querySelector('li[data-channel="threats"] input.filter') as unknown as { value: string; dispatchEvent(e: unknown): boolean };
    filter.value = '{"levels": ["critical"]}';
    // Resubscribing with the new filter: the channel goes not-live, then live again.
    const relive = waitFor(page, () => !isLive(page, 'threats')).then(() => waitFor(page, () => isLive(page, 'threats')));
    filter.dispatchEvent(new page.mainFrame.window.Event('change'));
    await relive;
    const box = doc.getElementById('ch-alerts') as unknown as { click(): void };
    box.click();
    expect(isLive(page, 'alerts')).toBe(false);

    await publish(gw.url, [
      threat('198.51.100.1', 3, 'low'),
      { type: 'alert.new', data: { id: 'alert_1', severity: 'critical', message: 'unticked', timestamp: 1764115200.2 } },
      threat('198.51.100.2', 9.9, 'critical'),
    ]);
    await waitFor(page, () => doc.querySelectorAll('tr[data-type]').length >= 1);
    // A later event on a still-subscribed channel proves the earlier ones were not just slow.
    await publish(gw.url, [{ type: 'system.notice', data: { level: 'info', message: 'marker', timestamp: 1764115200.3 } }]);
    await waitFor(page, () => doc.querySelector('tr[data-type="system.notice"]') !== null);
    const types = [...doc.querySelectorAll('tr[data-type]')].map((tr) => `${tr.getAttribute('data-type')} ${tr.querySelector('.summary')?.textContent}`);
    expect(types).toEqual(['system.notice marker', 'threat.new 198.51.100.2 score 9.9']);
  });

  it('reads protected channels only once a token is pasted and Connect pressed', async () => {
    const secret = randomBytes(32).toString('hex');
    const gw = await startGateway({ NS_JWT_SECRET: secret });
    const page = await openConsole(gw.url);
    const doc = page.mainFrame.document;
    // Anonymous: status and system open; threats is refused (unauthorized), reported on the channel and unticked.
    await waitFor(page, () => isLive(page, 'status'));
    await waitFor(page, () => (doc.querySelector('li[data-channel="threats"] .err')?.textContent ?? '').startsWith('unauthorized: channel threats requires read:events'));
    expect((doc.getElementById('ch-threats') as unknown as { checked: boolean }).checked).toBe(false);
    expect(doc.getElementById('principal')?.textContent).toBe('anonymous');

    const token = await new SignJWT({ username: 'alice', roles: ['analyst'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u_alice')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    (doc.getElementById('token') as unknown as { value: string }).value = token;
    (doc.getElementById('ch-threats') as unknown as { click(): void }).click();
    (doc.querySelector('#auth button[type="submit"]') as unknown as { click(): void }).click();
    await waitFor(page, () => isLive(page, 'threats'));
    expect(doc.getElementById('principal')?.textContent).toContain('as alice (read:events, read:alerts, write:alerts)');
    expect(doc.querySelector('li[data-channel="threats"] .err')?.textContent).toBe('');

    await publish(gw.url, [threat('198.51.100.7', 8.1, 'high')]);
    await waitFor(page, () => doc.querySelector('tr[data-type="threat.new"]') !== null);
  });

  it('shows the connection state from the client: reconnecting with 1001 when the gateway shuts down', async () => {
    const gw = await startGateway({ NS_SHUTDOWN_GRACE_S: '5' });
    const page = await openConsole(gw.url);
    const doc = page.mainFrame.document;
    await waitFor(page, () => stateOf(page) === 'open');
    gw.child.kill('SIGTERM');
    await waitFor(page, () => stateOf(page) === 'reconnecting');
    expect(doc.getElementById('state')?.textContent).toContain('1001');
    expect((await gw.exited).code).toBe(0);
  });

  it('resumes after a gateway restart and shows a gap notice when the history was lost', async () => {
    // Two gateway processes on the same port cannot overlap; the second one takes the first one's port.
    const first = await startGateway({ NS_SHUTDOWN_GRACE_S: '1' });
    const port = new URL(first.url).port;
    const page = await openConsole(first.url);
    const doc = page.mainFrame.document;
    await waitFor(page, () => isLive(page, 'threats'));
    await publish(first.url, [threat('192.0.2.1', 5, 'medium')]);
    await waitFor(page, () => doc.querySelectorAll('tr[data-type="threat.new"]').length === 1);

    first.child.kill('SIGTERM');
    await first.exited;
    const second = await startGateway({ NS_PORT: port });
    // The memory engine's history went with the first process: the client reports a gap.
    await waitFor(page, () => /threats: events after #1 could not be replayed/.test(doc.getElementById('notice')?.textContent ?? ''));
    expect(doc.getElementById('notice')?.hasAttribute('hidden')).toBe(false);
    await waitFor(page, () => stateOf(page) === 'open' && isLive(page, 'threats'));
    await publish(second.url, [threat('192.0.2.2', 8, 'high')]);
    await waitFor(page, () => doc.querySelectorAll('tr[data-type="threat.new"]').length === 2);
    expect(doc.querySelector('tr[data-type="threat.new"] .badge')?.className).toBe('badge level-high');
  });
});
