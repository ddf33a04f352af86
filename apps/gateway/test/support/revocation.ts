import { randomUUID } from 'node:crypto';
import { type GatewayProcess, TestClient } from '@ns/testkit';
import { SignJWT } from 'jose';

/** The HS256 secret of the revocation tests' gateways. */
export const SECRET = 'revocation-secret-0123456789abcdef0123';

/** A signed access token: `sub`, a fresh `jti` unless given, `iat` (default now), 10 minutes of life. */
export async function token(sub: string, o: { roles?: string[]; jti?: string; iat?: number; permissions?: string[] } = {}): Promise<{ token: string; jti: string; exp: number }> {
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  const exp = Math.floor(Date.now() / 1000) + 600;
  const jti = o.jti ?? randomUUID();
  const t = await new SignJWT({ roles: o.roles ?? ['analyst'], ...(o.permissions === undefined ? {} : { permissions: o.permissions }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET));
  return { token: t, jti, exp };
}

/** A connection authenticated by its upgrade header and subscribed to `threats`. */
export async function connected(gw: GatewayProcess, t: string): Promise<TestClient> {
  const c = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${t}` } });
  const sub = await c.subscribe('threats');
  if (sub.type !== 'subscribed') throw new Error(`subscribe refused: ${JSON.stringify(sub)}`);
  return c;
}

/** A connection authenticated by an `auth` message, subscribed to `threats`. */
export async function connectedByAuth(gw: GatewayProcess, t: string): Promise<TestClient> {
  const c = await TestClient.open(gw.wsUrl);
  const ok = await c.request({ type: 'auth', id: 'a1', token: t });
  if (ok.type !== 'authenticated') throw new Error(`auth refused: ${JSON.stringify(ok)}`);
  await c.subscribe('threats');
  return c;
}

/** `POST /v1/revocations` with `adminToken`. */
export async function revoke(gw: GatewayProcess, adminToken: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** The status of `GET /v1/channels/threats/history` with `t`. */
export async function historyStatus(gw: GatewayProcess, t: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.url}/v1/channels/threats/history`, { headers: { authorization: `Bearer ${t}` } });
  return { status: res.status, json: await res.json() };
}

/** How a connection presenting `t` in its upgrade ends: the error it got and its close. */
export async function refusedAtConnect(gw: GatewayProcess, t: string): Promise<{ error: unknown; close: { code: number; reason: string } }> {
  const c = await TestClient.connect(gw.wsUrl, { headers: { authorization: `Bearer ${t}` } });
  const close = await c.closed;
  return { error: c.messages.find((m) => m.type === 'error'), close };
}

/** How an `auth` message with `t` on a fresh anonymous-less connection ends. */
export async function refusedAtAuth(gw: GatewayProcess, t: string): Promise<{ error: unknown; close: { code: number; reason: string } }> {
  const c = await TestClient.open(gw.wsUrl);
  c.send({ type: 'auth', id: 'a1', token: t });
  const close = await c.closed;
  return { error: c.messages.find((m) => m.type === 'error'), close };
}
