import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, runCli, startGateway, stopAllGateways, TestClient } from '@ns/testkit';

// `ns-gateway connections`, `presence` and `disconnect` against a real gateway, token from
// NS_GATEWAY_TOKEN, URL from NS_GATEWAY_URL.

const SECRET = 'admin-cli-secret-0123456789abcdef0123456789';
const token = (sub: string, roles: string[], username?: string) =>
  new SignJWT({ roles, ...(username !== undefined && { username }) }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));

let gw: GatewayProcess;
let env: Record<string, string>;

beforeAll(async () => {
  gw = await startGateway({ NS_JWT_SECRET: SECRET });
  env = { NS_GATEWAY_URL: gw.url, NS_GATEWAY_TOKEN: await token('u_admin', ['admin']) };
});
afterAll(async () => {
  await stopAllGateways();
});

describe('ns-gateway connections | presence | disconnect', () => {
  it('lists connections and presence, then disconnects a user, exiting 0', async () => {
    const alice = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${await token('u_alice', ['analyst'], 'alice')}` } });
    await alice.subscribe('threats');

    const list = await runCli(['connections'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+USER\s+ADDRESS\s+CHANNELS\s+QUEUED\s+SINCE\s+INSTANCE\s+TRANSPORT$/m);
    expect(list.stdout).toMatch(/u_alice \(alice\)\s+127\.0\.0\.1\s+threats\s+0\s+\S+Z\s+\S+\s+websocket/);
    expect(list.stdout).toContain('1 connection(s) on 1 instance(s)');

    const presence = await runCli(['presence', 'threats', '--json'], env);
    expect(presence.code).toBe(0);
    expect(JSON.parse(presence.stdout)).toMatchObject({ channel: 'threats', connections: 1, users: 1, members: [{ user: 'u_alice', connections: 1 }] });
    expect((await runCli(['presence', 'threats'], env)).stdout).toMatch(/^threats: 1 connection\(s\), 1 user\(s\)$/m);

    const cut = await runCli(['disconnect', '--user', 'u_alice', '--reason', 'rotating credentials'], env);
    expect(cut.code).toBe(0);
    expect(cut.stdout).toContain('1 connection(s) closed with 4003 "disconnected by an administrator: rotating credentials"');
    expect(await alice.closed).toEqual({ code: 4003, reason: 'disconnected by an administrator: rotating credentials' });
  });

  it('exits 3 without an admin token, 2 on bad usage, 1 for an unknown connection', async () => {
    const anonymous = await runCli(['connections'], { NS_GATEWAY_URL: gw.url });
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toMatch(/401.*NS_GATEWAY_TOKEN/);
    expect((await runCli(['presence', 'threats'], { ...env, NS_GATEWAY_TOKEN: await token('u_v', ['viewer']) })).code).toBe(3);
    expect((await runCli(['disconnect'], env)).code).toBe(2);
    expect((await runCli(['disconnect', '--user', 'a', '--id', 'c_1'], env)).code).toBe(2);
    const unknown = await runCli(['disconnect', '--id', 'c_nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404.*c_nope/);
  });
});
