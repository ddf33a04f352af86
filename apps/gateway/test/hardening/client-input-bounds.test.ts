import { CHANNEL_NAMES } from '@ns/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, type Msg, RawWs, stopAllGateways, upgradeStatus } from '@ns/testkit';

// What one client's input can make the gateway do in replies and log lines: `?subscribe=` with
// thousands of names, 64 KB filters, 16 KB headers. Each is bounded, whatever the input's size.

const clients: RawWs[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await stopAllGateways();
});

const results = (c: RawWs): Msg[] => c.messages.filter((m) => m.type === 'subscribed' || m.type === 'error');

describe('?subscribe= with 2,000 names', () => {
  let open: GatewayUnderTest;
  let slow: GatewayUnderTest;
  beforeAll(async () => {
    [open, slow] = await Promise.all([
      launchGateway({ env: { NS_AUTH: 'none' } }),
      // Bursts of 2 messages: a third ?subscribe= channel is over the rate.
      launchGateway({ env: { NS_AUTH: 'none', NS_CLIENT_MESSAGE_RATE: '1' } }),
    ]);
  });

  it('subscribes each known channel once and refuses the unknown names in one error', async () => {
    // Every channel ~250 times over, and 50 distinct unknown names, shuffled together: ~14 KB of URL.
    const names = Array.from({ length: 2_000 }, (_, i) => (i % 8 === 7 ? `nope${Math.floor(i / 8) % 50}` : (CHANNEL_NAMES[i % CHANNEL_NAMES.length] as string)));
    const unknown = new Set(names.filter((n) => n.startsWith('nope')));
    expect(unknown.size).toBe(50);
    const c = await RawWs.connect(open.port, { path: `/ws?subscribe=${names.join(',')}` });
    clients.push(c);
    // Replies come in order: the pong follows everything the upgrade's ?subscribe= produced.
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    const replies = results(c);
    const subscribed = replies.filter((m) => m.type === 'subscribed').map((m) => m.channel as string);
    expect(subscribed.sort()).toEqual([...CHANNEL_NAMES].sort());
    const errors = replies.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'unknown_channel', details: { count: 50 } });
    expect((errors[0]?.details.channels as string[]).length).toBeLessThanOrEqual(10);
    expect(errors[0]?.message).toMatch(/^unknown channels in \?subscribe=: "nope\d+", .* and 40 more$/);
  });

  it('counts each ?subscribe= channel against the message rate limit', async () => {
    const c = await RawWs.connect(slow.port, { path: '/ws?subscribe=status,system,threats' });
    clients.push(c);
    // Three channels, three answers: two within the burst, the third refused, naming its channel.
    await c.next(() => results(c).length === 3);
    const [first, second, third] = results(c);
    expect([first?.type, first?.channel, second?.type, second?.channel]).toEqual(['subscribed', 'status', 'subscribed', 'system']);
    expect(third).toMatchObject({ type: 'error', code: 'rate_limited', details: { channel: 'threats' } });
    expect(third?.details.retry_after_ms).toBeGreaterThan(0);
  });
});

describe('log volume per connection (NS_LOG_LEVEL=info)', () => {
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    // The default posture: anonymous clients may read status and system.
    gw = await launchGateway({ env: { NS_LOG_LEVEL: 'info' } });
  });

  it('stays small however large the filters, URLs and headers of 20 anonymous connections are', async () => {
    // A filter at the schema's limits: 256 components of 200 characters (~52 KB).
    const filter = { components: Array.from({ length: 256 }, (_, i) => `component-${i}-`.padEnd(200, 'x')) };
    const longUrl = `/ws?subscribe=status,${Array.from({ length: 400 }, (_, i) => `unknown-${i}`).join(',')}`;
    const headers = { 'User-Agent': `agent/${'u'.repeat(4_000)}` };
    const before = gw.output().length;
    for (let i = 0; i < 20; i++) {
      const c = await RawWs.connect(gw.port, { path: longUrl, headers });
      clients.push(c);
      for (let n = 0; n < 5; n++) expect(await c.request({ type: 'subscribe', channel: 'status', filter })).toMatchObject({ type: 'subscribed' });
      c.destroy();
    }
    // Refused upgrades log too: a long foreign Origin and a long path.
    expect(await (await RawWs.upgrade(gw.port, { path: longUrl, headers: { ...headers, Origin: `https://${'o'.repeat(3_000)}.example` } })).closed).toBe(1008);
    expect(await upgradeStatus(gw.port, { path: `/nowhere/${'p'.repeat(8_000)}` })).toBe(404);
    // Every connection logged its lines (opened, auth, subscribes): the input was summarised, not copied.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logged = gw.output().slice(before);
    // 20 connections sent ~5.5 MB of filters and ~90 KB of URLs and headers.
    expect(logged.length / 20).toBeLessThan(6_000);
    expect(logged.match(/"msg":"subscribe"/g)?.length).toBeGreaterThanOrEqual(100);
    expect(logged).toMatch(/"filter":\{"fields":\["components"\],"values":256,"bytes":\d+\}/);
    expect(logged).not.toContain('x'.repeat(300));
    expect(logged).not.toContain('u'.repeat(300));
    expect(logged).not.toContain('o'.repeat(300));
    expect(logged).not.toContain('p'.repeat(300));
  });
});
