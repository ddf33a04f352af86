import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';

// `npm start` with no configuration: secure by default. No JWT key means no token can be verified,
// so protected channels stay closed to everyone; permission-free channels are open to anonymous
// clients (NS_ALLOW_ANONYMOUS defaults to true).
describe('ns-gateway start with no auth configuration', () => {
  let gw: GatewayProcess;
  const sockets: TestClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ NS_AUTH: '' });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await stopAllGateways();
  });

  it('announces that protected channels are closed', () => {
    expect(gw.stderr()).toMatch(/no JWT key configured: anonymous clients may read status and system only/);
  });

  it('refuses anonymous subscriptions to protected channels and allows permission-free ones', async () => {
    const s = await TestClient.open(gw.wsUrl);
    sockets.push(s);
    for (const channel of ['threats', 'alerts', 'metrics', 'events', 'correlations']) {
      const reply = await s.subscribe(channel);
      expect(reply.type, channel).toBe('error');
      expect(['unauthorized', 'forbidden'], channel).toContain(reply.code);
    }
    expect((await s.subscribe('status')).type).toBe('subscribed');
    expect((await s.subscribe('system')).type).toBe('subscribed');
  });

  it('refuses every token, since none can be verified', async () => {
    const s = await TestClient.open(gw.wsUrl);
    sockets.push(s);
    s.send({ type: 'auth', id: 'a1', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwicGVybWlzc2lvbnMiOlsiYWRtaW4iXX0.' });
    const reply = await s.next((m) => m.id === 'a1');
    expect(reply).toMatchObject({ type: 'error', code: 'unauthorized' });
  });

  it('refuses the history of a protected channel over HTTP', async () => {
    const res = await fetch(`${gw.url}/v1/channels/alerts/history`);
    expect(res.status).toBe(401);
  });
});
