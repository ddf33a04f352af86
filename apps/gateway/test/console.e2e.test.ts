import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Window } from 'happy-dom';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_DIR } from '../src/paths.js';
import { startGateway, stopAllGateways } from './support/gateway-process.js';

// The console's script, run in happy-dom (a DOM without a browser) against the real gateway process,
// with `ws` as the page's WebSocket. A real-browser test of the console lives in the client issue.

const windows: Window[] = [];

afterEach(async () => {
  for (const w of windows.splice(0)) {
    // The page's socket is a real `ws` one, outside happy-dom: disconnect before the page goes.
    (w.document.getElementById('disconnect') as unknown as { click(): void } | null)?.click();
    await w.happyDOM.close();
  }
  await stopAllGateways();
});

/** Resolves once `check` holds for the page, re-checking on every DOM mutation. */
function waitFor(window: Window, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const observer = new window.MutationObserver(() => {
      if (check()) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(window.document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function openConsole(url: string): Promise<Window> {
  const window = new Window({ url: `${url}/`, settings: { disableJavaScriptFileLoading: true, disableCSSFileLoading: true } });
  windows.push(window);
  const html = await (await fetch(`${url}/`)).text();
  window.document.write(html.replace(/<script[^>]*><\/script>/, ''));
  (window as unknown as { WebSocket: unknown }).WebSocket = WebSocket;
  window.eval(readFileSync(join(PUBLIC_DIR, 'console', 'app.js'), 'utf8'));
  return window;
}

describe('live console (GET /)', () => {
  it('connects, subscribes to the default channels and shows a colour-coded live tail with channel stats', async () => {
    const gw = await startGateway();
    const window = await openConsole(gw.url);
    const doc = window.document;
    await waitFor(window, () => doc.getElementById('state')?.getAttribute('data-state') === 'open');
    await waitFor(window, () => doc.querySelector('li[data-channel="threats"]')?.getAttribute('data-live') === 'true');

    const res = await fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          { type: 'threat.new', data: { source_ip: '203.0.113.9', threat_score: 9.6, threat_level: 'critical', timestamp: 1764115200.1 } },
          { type: 'alert.new', data: { id: 'alert_9', severity: 'high', message: 'SSH brute force from <b>203.0.113.9</b>', timestamp: 1764115200.2 } },
        ],
      }),
    });
    expect(res.status).toBe(202);
    await waitFor(window, () => doc.querySelectorAll('tr[data-type]').length === 2);

    const threat = doc.querySelector('tr[data-type="threat.new"]');
    expect(threat?.querySelector('.badge')?.className).toBe('badge level-critical');
    expect(threat?.textContent).toContain('203.0.113.9 score 9.6');
    const alert = doc.querySelector('tr[data-type="alert.new"]');
    expect(alert?.querySelector('.badge')?.className).toBe('badge level-high');
    // Event data is text, never markup.
    expect(alert?.querySelector('b')).toBeNull();
    expect(alert?.textContent).toContain('<b>203.0.113.9</b>');

    // Per-channel stats come from GET /v1/channels (polled): subscribers and the channel's seq.
    await waitFor(window, () => /1 subs · #1/.test(doc.querySelector('li[data-channel="threats"] .stats')?.textContent ?? ''));
  });

  it('shows the connection state going away when the gateway shuts down', async () => {
    const gw = await startGateway({ NS_SHUTDOWN_GRACE_S: '5' });
    const window = await openConsole(gw.url);
    const doc = window.document;
    await waitFor(window, () => doc.getElementById('state')?.getAttribute('data-state') === 'open');
    gw.child.kill('SIGTERM');
    await waitFor(window, () => doc.getElementById('state')?.getAttribute('data-state') === 'reconnecting');
    expect(doc.getElementById('state')?.textContent).toContain('1001');
    expect((await gw.exited).code).toBe(0);
  });
});
