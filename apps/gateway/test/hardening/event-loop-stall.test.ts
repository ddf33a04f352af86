import { createClient, type NsClient } from '@ns/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, type GatewayUnderTest, launchGateway, RawWs, stopAllGateways } from '@ns/testkit';
import { metric, publish, threatData } from './support/http.js';

// A 2 s event-loop stall inside the real gateway (a busy loop evaluated through the V8 inspector, so
// the product carries no test hook): afterwards the heartbeat must not mass-disconnect healthy
// clients, whose pongs were waiting in socket buffers the whole time. A client that really stopped
// answering is still terminated, which shows the heartbeat was running during the test.

let gw: GatewayUnderTest;
const clients: RawWs[] = [];
let library: NsClient;
const libraryStates: string[] = [];

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none', NS_HEARTBEAT_S: '1', NS_IP_CONNECT_RATE: '1000' }, inspect: true });
});
afterAll(async () => {
  library?.close();
  for (const c of clients) c.destroy();
  await stopAllGateways();
});

describe('a 2 s event-loop stall', () => {
  it('disconnects no healthy client: heartbeat pings resume and every client still receives', async () => {
    for (let i = 0; i < 50; i++) clients.push(await RawWs.connect(gw.port, { path: '/ws?subscribe=threats' }));
    const silent = await RawWs.connect(gw.port);
    silent.autoPong = false;
    // Its own app-level ping crosses the stall too; its pong timeout stays at the default (10 s).
    library = createClient({ url: gw.wsUrl, WebSocket: WebSocket as never, pingIntervalMs: 500, backoff: { minMs: 50, maxMs: 200 } });
    library.on('state', (s) => libraryStates.push(s.state));
    const libraryEvents: number[] = [];
    library.subscribe('threats', (e) => libraryEvents.push(e.seq));
    await eventually('library client open', () => library.state === 'open');
    // The heartbeat is running: every client has been pinged at least twice.
    await eventually('two heartbeat pings each', () => clients.every((c) => c.pings >= 2));

    const pingsBefore = clients.map((c) => c.pings);
    await gw.inspector!.stall(2_000);
    // Several heartbeat periods after the stall.
    await eventually('three more pings each after the stall', () => clients.every((c, i) => c.pings >= (pingsBefore[i] as number) + 3));

    expect(clients.filter((c) => c.socket.destroyed || c.closeCode !== undefined)).toEqual([]);
    expect(await metric(gw.url, 'ns_heartbeat_terminations_total')).toBe(0);
    expect(library.state).toBe('open');
    expect(library.stats().reconnects).toBe(0);
    expect(libraryStates).not.toContain('reconnecting');

    const { body } = await publish(gw.url, { type: 'threat.new', data: threatData(1) });
    const id = body.results[0].id as string;
    await Promise.all(clients.map((c) => c.next((m) => m.id === id)));
    await eventually('library client received the event', () => libraryEvents.includes(body.results[0].seq as number));

    // The client that never answers pings is terminated after the pong timeout (10 s).
    await silent.closed;
    expect(await metric(gw.url, 'ns_heartbeat_terminations_total')).toBe(1);
  });
});
