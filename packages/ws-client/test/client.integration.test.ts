import { setImmediate as nextTick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient, type ClientOptions, type GapEvent, type NsClient, type NsClientError } from '../src/index.js';
import { collect, nextClientEvent, range, reachState } from './support/await-client.js';
import { ProtocolServer, type ProtocolServerOptions } from './support/protocol-server.js';

// The client against a real `ws` server on port 0 that speaks the wire protocol (docs/protocol.md), over real loopback sockets.

let server: ProtocolServer | undefined;
const clients: NsClient[] = [];

async function setup(serverOptions: ProtocolServerOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  const s = await ProtocolServer.start(serverOptions);
  server = s;
  const client = createClient({ url: s.url, WebSocket, backoff: { minMs: 5, maxMs: 20, factor: 2 }, ...clientOptions });
  clients.push(client);
  return { server: s, client };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

describe('ws-client against a real WebSocket server', () => {
  it('connects with Node ws, negotiates ns.v1, and reports welcome then open', async () => {
    const { server, client } = await setup();
    const welcome = await nextClientEvent(client, 'welcome');
    await reachState(client, 'open');
    expect(welcome.connection_id).toBe('c1');
    expect(server.connections[0]?.socket.protocol).toBe('ns.v1');
  });

  it('authenticates with an auth message as the very first frame', async () => {
    const { server, client } = await setup({ tokens: ['jwt-good'] }, { token: 'jwt-good' });
    const authenticated = await nextClientEvent(client, 'authenticated');
    await reachState(client, 'open');
    expect(authenticated.principal.id).toBe('u1');
    expect(server.connections[0]?.received[0]).toEqual({ type: 'auth', id: expect.any(String), token: 'jwt-good' });
  });

  it('delivers the events of a subscribed channel in seq order, filtered server-side', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats', { filter: { min_score: 7 } });
    await server.until(() => server.connections[0]?.subscribed === true);
    for (const score of [5, 8, 9, 1, 7]) server.publish(score);
    await threats.count(3);
    expect(threats.seqs()).toEqual([2, 3, 5]);
    expect(threats.events.map((e) => e.data.threat_score)).toEqual([8, 9, 7]);
    expect(server.receivedOfType('subscribe')[0]).toMatchObject({ channel: 'threats', filter: { min_score: 7 } });
  });

  it('survives server-side terminates mid-stream: every event exactly once, in order', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    for (let i = 1; i <= 300; i += 1) {
      // The second kill hits the resumed connection: wait until it is back and subscribed.
      if (i === 200) await server.until(() => server.connections[1]?.subscribed === true);
      server.publish();
      if (i === 100 || i === 200) server.terminateAll();
      if (i % 10 === 0) await nextTick(); // let the sockets breathe, so events go out live as well as by replay
    }
    await threats.count(300);
    await server.until(() => server.live.length === 1);
    server.publish();
    await threats.count(301);
    expect(threats.seqs()).toEqual(range(1, 301));
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(2);
    const resumes = server.receivedOfType('subscribe').slice(1);
    expect(resumes.length).toBeGreaterThanOrEqual(2);
    for (const r of resumes) expect(r.since).toMatchObject({ epoch: 'ep1', seq: expect.any(Number) });
  });

  it('reconnects at once after a 1001 close and resumes where it left off', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    server.publish();
    server.publish();
    await threats.count(2);
    const reconnecting = nextClientEvent(client, 'state', (s) => s.state === 'reconnecting');
    server.closeAll(1001, 'shutting down');
    server.publish();
    server.publish();
    expect(await reconnecting).toMatchObject({ closeCode: 1001, reason: 'shutting down', delayMs: 0 });
    await threats.count(4);
    expect(threats.seqs()).toEqual([1, 2, 3, 4]);
    expect(server.receivedOfType('subscribe')[1]).toMatchObject({ since: { epoch: 'ep1', seq: 2 } });
  });

  it('emits gap when history no longer reaches back to its cursor, then carries on live', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    for (let i = 0; i < 5; i += 1) server.publish();
    await threats.count(5);
    const gap = nextClientEvent(client, 'gap');
    server.terminateAll();
    for (let i = 0; i < 10; i += 1) server.publish();
    server.dropHistory();
    expect(await gap).toEqual<GapEvent>({ channel: 'threats', reason: 'not_recovered', since: { epoch: 'ep1', seq: 5 }, epoch: 'ep1', seq: 15 });
    server.publish();
    await threats.count(6);
    expect(threats.seqs()).toEqual([1, 2, 3, 4, 5, 16]);
  });

  it('emits gap with epoch_changed when the channel restarts under a new epoch, and resumes in the new one', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    server.publish();
    server.publish();
    await threats.count(2);
    const gap = nextClientEvent(client, 'gap');
    server.newEpoch();
    server.publish();
    expect(await gap).toMatchObject({ reason: 'epoch_changed', epoch: 'ep2', seq: 1 });
    server.terminateAll();
    server.publish();
    await threats.count(4);
    expect(threats.events.map((e) => `${e.epoch}:${e.seq}`)).toEqual(['ep1:1', 'ep1:2', 'ep2:1', 'ep2:2']);
    expect(server.receivedOfType('subscribe')[1]).toMatchObject({ since: { epoch: 'ep2', seq: 1 } });
  });

  it('drops events a server replays twice, so the app still sees each once', async () => {
    const { server, client } = await setup({ replayOverlap: 3 });
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    for (let i = 0; i < 10; i += 1) server.publish();
    await threats.count(10);
    server.terminateAll();
    for (let i = 0; i < 5; i += 1) server.publish();
    await threats.count(15);
    expect(threats.seqs()).toEqual(range(1, 15));
    expect(client.stats().duplicates).toBe(3);
  });

  it('stays closed after 4001 when it has no way to get a new token', async () => {
    const { server, client } = await setup({ tokens: ['jwt-good'] }, { token: 'jwt-bad' });
    const errors: NsClientError[] = [];
    client.on('error', (e) => errors.push(e));
    const closed = await nextClientEvent(client, 'state', (s) => s.state === 'closed');
    expect(closed).toMatchObject({ closeCode: 4001, reason: 'unauthorized' });
    expect(errors.map((e) => [e.source, e.code])).toEqual([
      ['server', 'unauthorized'],
      ['client', 'closed'],
    ]);
    expect(server.connections).toHaveLength(1);
  });

  it('reconnects after 4001 when getToken() yields a new token', async () => {
    const tokens = ['jwt-stale', 'jwt-good'];
    const { server, client } = await setup({ tokens: ['jwt-good'] }, { getToken: async () => tokens.shift() ?? 'jwt-good' });
    await nextClientEvent(client, 'authenticated');
    await reachState(client, 'open');
    expect(server.receivedOfType('auth').map((a) => a.token)).toEqual(['jwt-stale', 'jwt-good']);
  });

  it('refreshes the token on auth_expiring without reconnecting', async () => {
    let token = 't1';
    const { server, client } = await setup({ tokens: ['t1', 't2'] }, { getToken: () => token });
    await reachState(client, 'open');
    token = 't2';
    const refreshed = nextClientEvent(client, 'authenticated');
    server.sendRaw(JSON.stringify({ type: 'auth_expiring', expires_at: Date.now() / 1000 + 30 }));
    await refreshed;
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]?.received.filter((m) => m.type === 'auth').map((m) => m.token)).toEqual(['t1', 't2']);
  });

  it('detects a silent connection with the app-level ping and reconnects', async () => {
    const { server, client } = await setup({}, { pingIntervalMs: 20, pongTimeoutMs: 40 });
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    await server.until(() => server.receivedOfType('ping').length > 0);
    const timedOut = nextClientEvent(client, 'error', (e) => e.code === 'pong_timeout');
    const first = server.connections[0];
    if (first !== undefined) first.silent = true;
    server.publish(); // lost on the silent path
    await timedOut;
    await server.until(() => server.connections[1]?.subscribed === true);
    await threats.count(1);
    expect(threats.seqs()).toEqual([1]);
  });

  it('reports frames it cannot read through on("error") and keeps the connection', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    const invalid = nextClientEvent(client, 'error');
    server.sendRaw('{"type":"surprise"}');
    expect(await invalid).toMatchObject({ code: 'invalid_frame', message: 'unknown message type "surprise"' });
    server.publish();
    await threats.count(1);
    expect(client.state).toBe('open');
    expect(server.connections).toHaveLength(1);
  });

  it('unsubscribes from the server when the last handler goes', async () => {
    const { server, client } = await setup();
    const threats = collect(client, 'threats');
    await server.until(() => server.connections[0]?.subscribed === true);
    threats.unsubscribe();
    await server.until(() => server.receivedOfType('unsubscribe').length === 1);
    expect(server.receivedOfType('unsubscribe')[0]).toEqual({ type: 'unsubscribe', channel: 'threats' });
    expect(client.cursor('threats')).toBeUndefined();
  });
});
