import { request } from 'node:http';
import { connect } from 'node:net';
import { ErrorBody } from '@ns/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchGateway, stopAllGateways, type GatewayUnderTest } from '@ns/testkit';

// Requests that static-file serving or the framework refuse — path traversal, directories, NUL,
// malformed percent-escapes, unparsable HTTP — against the real process: each answers the contracts'
// error body with a 4xx status, and none leaves an error-level log line or a stack trace.

let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_LOG_LEVEL: 'debug' } });
});
afterAll(stopAllGateways);

/** GET with the request target sent byte for byte (fetch and URL would normalise `..` and escapes). */
function rawGet(target: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path: target }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends raw bytes and resolves with the whole response text. */
function rawExchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('4xx from static files and the framework', () => {
  it.each([
    ['/schemas/../../package.json', 403, 'forbidden'],
    ['/schemas/%2e%2e/%2e%2e/package.json', 403, 'forbidden'],
    ['/schemas/%2E%2E/%2e%2E/%2e%2e/package.json', 403, 'forbidden'],
    ['/schemas/..%2f..%2fpackage.json', 404, 'invalid_message'],
    ['/schemas/data/', 403, 'forbidden'],
    ['/schemas/events/', 403, 'forbidden'],
    ['/schemas/a%00b.json', 403, 'forbidden'],
    ['/schemas/no-such-file.json', 404, 'invalid_message'],
    ['/schemas/%zz', 400, 'invalid_message'],
    ['/%E0%A4%A', 400, 'invalid_message'],
    ['/v1/channels/%zz/history', 400, 'invalid_message'],
  ] as const)('GET %s → %i %s, as an ErrorBody', async (target, status, code) => {
    const res = await rawGet(target);
    expect(res.status).toBe(status);
    expect(ErrorBody.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
    expect((res.body as ErrorBody).error.code).toBe(code);
  });

  it('answers a request the HTTP parser refuses with an ErrorBody', async () => {
    const response = await rawExchange('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nthis is not a header\r\n\r\n');
    const [head, body] = response.split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(ErrorBody.parse(JSON.parse(body)).error).toEqual({ code: 'invalid_message', message: 'malformed HTTP request' });
  });

  it('logs none of them at error level, and no stack trace', () => {
    const lines = gw
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(gw.output()).not.toMatch(/"stack"|\n\s+at /);
  });
});
