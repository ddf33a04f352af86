import { request } from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, launchGateway, stopAllGateways, type GatewayUnderTest } from '@ns/testkit';
import { PUBLISH_KEY, SECRET } from './support/tokens.js';

// Every way a credential can reach the gateway, against the real process logging at trace: no log
// line may carry a token, key or secret, in plain text or percent-encoded.

const REDIS_PASSWORD = 'redis-password-0123456789';
const WRONG_KEY = `${PUBLISH_KEY.slice(0, -1)}X`;

/** Percent-decodes runs of escapes, leaving malformed ones alone (how a reader would recover them). */
const decode = (text: string) =>
  text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
/** Every character percent-encoded. */
const encodeAll = (text: string) => [...Buffer.from(text)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

let gw: GatewayUnderTest;
const tokens: string[] = [];
const sign = async (claims: Record<string, unknown>, secret = SECRET): Promise<string> => {
  const token = await new SignJWT({ sub: 'u1', roles: ['analyst'], ...claims }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
  tokens.push(token);
  return token;
};

/** Opens /ws at `path` and waits until the server closes it or sends `welcome` (then closes). */
function visitWs(path: string, headers: Record<string, string> = {}, after?: (ws: WebSocket) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${gw.wsUrl.replace(/\/ws$/, '')}${path}`, 'ns.v1', { headers });
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type !== 'welcome') return;
      void (after?.(ws) ?? Promise.resolve()).then(() => ws.close());
    });
    ws.on('close', () => resolve());
    ws.on('error', () => resolve());
    ws.on('unexpected-response', (req) => {
      req.destroy();
      resolve();
    });
  });
}

/** A raw HTTP request whose target is sent byte for byte (fetch would normalise it). */
function rawGet(target: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, path: target, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  gw = await launchGateway({
    env: {
      NS_JWT_SECRET: SECRET,
      NS_PUBLISH_KEYS: PUBLISH_KEY,
      NS_LOG_LEVEL: 'trace',
      // Not used by the memory engine, but configured: its password must not appear either.
      NS_REDIS_URL: `redis://user:${REDIS_PASSWORD}@127.0.0.1:1`,
    },
  });
});
afterAll(stopAllGateways);

describe('no credential in any log line, at trace level', () => {
  it('redacts tokens, keys and secrets however they are sent and encoded', async () => {
    // /ws: the query parameter under an encoded name, in upper case, encoded value, every byte encoded.
    await visitWs(`/ws?%74oken=${await sign({})}`);
    await visitWs(`/ws?TOKEN=${await sign({})}&subscribe=status`);
    await visitWs(`/ws?access_token=${encodeAll(await sign({}))}`);
    await visitWs(`/ws?${encodeAll('token')}=${encodeAll(await sign({}))}`);
    await visitWs(`/ws?token=${await sign({}, 'another-secret-0123456789abcdef0123456789')}`);
    await visitWs(`/ws?q=${await sign({})}`);
    await visitWs('/ws', { authorization: `Bearer ${await sign({})}` });
    await visitWs('/ws', { authorization: `Bearer ${await sign({ token_type: 'refresh' })}` });
    await visitWs('/ws', { cookie: `session=${await sign({})}` });
    const refresh = await sign({});
    await visitWs('/ws', {}, async (ws) => {
      ws.send(JSON.stringify({ type: 'auth', id: 'a1', token: refresh }));
      await new Promise((resolve) => ws.once('message', resolve));
    });
    // Upgrade on another path; HTTP with credentials in the path, the query and the headers.
    await visitWs(`/elsewhere?token=${await sign({})}`);
    expect(await rawGet(`/v1/channels/alerts/history?token=${await sign({})}`)).toBe(401);
    expect(await rawGet('/v1/channels/alerts/history', { authorization: `Bearer ${await sign({})}` })).toBe(200);
    expect(await rawGet(`/v1/channels/alerts/history?%61pi_key=${PUBLISH_KEY}`)).toBe(401);
    expect(await rawGet(`/nothing/${await sign({})}`)).toBe(404);
    expect(await rawGet(`/nothing/${encodeAll(await sign({}))}?x=%zz`)).toBe(404);
    expect(await rawGet(`/%zz/bad-escape?token=${await sign({})}`)).toBeGreaterThanOrEqual(400);
    for (const key of [PUBLISH_KEY, WRONG_KEY]) {
      for (const headers of [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }] as Record<string, string>[]) {
        await fetch(`${gw.url}/v1/publish?key=${key}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ type: 'status.update', data: { component: 'probe', status: 'ok' } }),
        });
      }
    }
    // Wait until the last request's line is out, then look at everything.
    await eventually('the last publish is logged', () => (gw.output().match(/\/v1\/publish/g) ?? []).length >= 4);
    const out = gw.output();
    expect(out).toContain('[REDACTED]');
    const logged = [out, decode(out), decode(decode(out))];
    const secrets = [SECRET, PUBLISH_KEY, WRONG_KEY, REDIS_PASSWORD, ...tokens.map((t) => t.split('.')[2] as string), ...tokens.map((t) => t.split('.')[1] as string)];
    for (const secret of secrets) {
      for (const text of logged) expect(text.includes(secret), `log output contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});
