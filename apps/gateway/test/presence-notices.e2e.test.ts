import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PresenceJoinedEvent, PresenceLeftEvent } from '@ns/contracts';
import { eventually, type GatewayProcess, type Message, startGateway, stopAllGateways, TestClient } from '@ns/testkit';

// Join/leave notices on `system` (NS_PRESENCE_NOTICES): off by default, announced for another user's
// connect and disconnect when on, and held to NS_PRESENCE_NOTICE_RATE. Real gateway processes.

const SECRET = 'presence-notices-secret-0123456789abcdef';
const KEY = 'presence-notices-publish-key-0123456789';
const RATE = 5;
const token = (sub: string) =>
  new SignJWT({ roles: ['analyst'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

let off: GatewayProcess;
let on: GatewayProcess;
const sockets: TestClient[] = [];

async function connect(gw: GatewayProcess, jwt: string | undefined, channel: string): Promise<TestClient> {
  const c = await TestClient.open(gw.wsUrl, jwt === undefined ? {} : { headers: { authorization: `Bearer ${jwt}` } });
  sockets.push(c);
  expect((await c.subscribe(channel)).type).toBe('subscribed');
  return c;
}

const isPresence = (m: Message) => m.type === 'system.presence_joined' || m.type === 'system.presence_left';
const threatUsers = async (gw: GatewayProcess) =>
  ((await (await fetch(`${gw.url}/v1/channels`)).json()) as { channels: { name: string; users: number }[] }).channels.find((c) => c.name === 'threats')!.users;
const dropped = async (gw: GatewayProcess) => {
  const m = /^ns_presence_notices_dropped_total\{reason="rate"\} (\d+)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text());
  return m === null ? undefined : Number(m[1]);
};

beforeAll(async () => {
  [off, on] = await Promise.all([
    startGateway({ NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: KEY }),
    startGateway({ NS_JWT_SECRET: SECRET, NS_PRESENCE_NOTICES: 'true', NS_PRESENCE_NOTICE_RATE: String(RATE) }),
  ]);
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await stopAllGateways();
});

describe('presence notices on the system channel', () => {
  it('are off by default: a user joining and leaving is announced nowhere', async () => {
    const observer = await connect(off, undefined, 'system');
    const alice = await connect(off, await token('u_alice'), 'threats');
    // Reading the counts scans the sinks: with notices on, this scan would publish alice's join.
    await eventually('the gateway sees alice on threats', async () => (await threatUsers(off)) === 1);
    await alice.close();
    await eventually('alice is gone from threats', async () => (await threatUsers(off)) === 0);
    // A marker published after both scans: everything announced before it has arrived when it does.
    const res = await fetch(`${off.url}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'system.notice', data: { level: 'info', message: 'marker', timestamp: Date.now() / 1000 } }),
    });
    expect(res.status).toBe(202);
    await observer.next((m) => m.type === 'system.notice' && m.data.message === 'marker');
    expect(observer.events('system').filter(isPresence)).toEqual([]);
    expect(await dropped(off)).toBeUndefined();
  });

  it('when on, a client on system sees joined then left for another user; anonymous connections are not announced', async () => {
    const observer = await connect(on, undefined, 'system');
    await connect(on, undefined, 'status');
    const bob = await connect(on, await token('u_bob'), 'threats');
    const joined = await observer.next((m) => m.type === 'system.presence_joined' && m.data.user === 'u_bob');
    expect(PresenceJoinedEvent.parse(joined).data).toEqual({ channel: 'threats', user: 'u_bob', connections: 1, timestamp: expect.any(Number) });
    expect(joined.channel).toBe('system');
    await bob.close();
    const left = await observer.next((m) => m.type === 'system.presence_left' && m.data.user === 'u_bob');
    expect(PresenceLeftEvent.parse(left).data).toMatchObject({ channel: 'threats', user: 'u_bob', connections: 0 });
    const mine = observer.events('system').filter(isPresence);
    expect(mine.map((m) => `${m.type} ${m.data.user} ${m.data.channel}`)).toEqual(['system.presence_joined u_bob threats', 'system.presence_left u_bob threats']);
    // Only the channel and the token's subject: nothing an anonymous reader should not see.
    expect(Object.keys(joined.data).sort()).toEqual(['channel', 'connections', 'timestamp', 'user']);
  });

  it('holds NS_PRESENCE_NOTICE_RATE: many users at once are announced at most at the rate, the rest dropped and counted', async () => {
    const observer = await connect(on, undefined, 'system');
    const from = observer.messages.length;
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => token(`u_many_${i}`)));
    const started = Date.now();
    await Promise.all(tokens.map((t) => connect(on, t, 'threats')));
    await eventually('notices over the rate are dropped and counted', async () => ((await dropped(on)) ?? 0) > 0, 30_000);
    const elapsedS = (Date.now() - started) / 1000;
    const announced = observer.messages.slice(from).filter(isPresence).length;
    // BurstLimiter: RATE per 1 s window plus RATE more per 10 s window.
    expect(announced).toBeGreaterThan(0);
    expect(announced).toBeLessThanOrEqual(RATE * (Math.ceil(elapsedS) + 1) + RATE * (Math.ceil(elapsedS / 10) + 1));
    // A summary says how many were dropped (at most every 10 s).
    const summary = await observer.next((m) => m.type === 'system.notice' && m.data.code === 'presence_notices_dropped', from);
    expect(summary.data.message).toMatch(/^\d+ presence notices dropped/);
  }, 60_000);
});
