import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, runsWith, startGateway, stopAllGateways } from '@ns/testkit';
import { chromiumMissing, launchChromium, type HeadlessChromium } from './support/chromium.js';

// A browser page on an origin the gateway does not allow, in headless Chromium: the console is served
// through a reverse proxy on another port that forwards HTTP and the WebSocket upgrade to the gateway
// but names the gateway in Host (a proxy configured without NS_ALLOWED_ORIGINS). The page's origin is
// the proxy's, so the gateway refuses it — and the browser must learn why, not see a network error.

const runs = runsWith(chromiumMissing() ?? undefined, 'origin.browser.test');

let browser: HeadlessChromium | undefined;
let proxy: Server | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  proxy?.closeAllConnections();
  await new Promise((resolve) => (proxy === undefined ? resolve(undefined) : proxy.close(resolve)));
  proxy = undefined;
  await stopAllGateways();
});

/** A reverse proxy on 127.0.0.1:<any port> to the gateway, sending `Host: <the gateway's host>`. */
async function startProxy(gw: GatewayProcess): Promise<string> {
  const target = new URL(gw.url);
  const port = Number(target.port);
  const server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(port, '127.0.0.1', () => {
      const headers = Object.entries({ ...req.headers, host: target.host }).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}\r\n`);
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('')}\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = server;
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

/** `ns_ws_rejected_upgrades_total{reason="origin"}` from the gateway's metrics. */
async function originRefusals(gw: GatewayProcess): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^ns_ws_rejected_upgrades_total\{[^}]*reason="origin"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.runIf(runs)('a browser page on a disallowed origin', () => {
  it('gets close 1008 "origin not allowed": the console says so and @ns/ws-client stops instead of reconnecting', async () => {
    browser = await launchChromium();
    const gw = await startGateway();
    const origin = await startProxy(gw);
    const page = await browser.context.newPage();
    const closes: { code: number | undefined; reason: string | undefined }[] = [];
    page.on('websocket', (ws) => ws.on('close', () => closes.push({ code: undefined, reason: undefined })));
    await page.goto(`${origin}/`);

    // The console reached the gateway (its page and scripts came through the proxy) and was told why it may not connect.
    await page.locator('#state[data-state="closed"]').waitFor();
    await expect(page.locator('#state').textContent()).resolves.toBe('closed · 1008');
    // The close code's meaning from the contracts' wire table, and what to do about it.
    await expect(page.locator('#notice').textContent()).resolves.toBe("Disconnected (1008): Policy violation, e.g. a disallowed Origin. Add this page's origin to NS_ALLOWED_ORIGINS.");
    expect(await originRefusals(gw)).toBe(1);

    // The client stays closed: over several of its backoff periods (500 ms minimum) nothing reconnects.
    await page.waitForTimeout(3_000);
    expect(await originRefusals(gw)).toBe(1);
    await expect(page.locator('#state').getAttribute('data-state')).resolves.toBe('closed');
    expect(closes).toHaveLength(1);

    // From the gateway's own origin the same console connects.
    const own = await browser.context.newPage();
    await own.goto(`${gw.url}/`);
    await own.locator('#state[data-state="open"]').waitFor();
  }, 60_000);
});
