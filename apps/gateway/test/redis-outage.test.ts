import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, stopAllGateways, TestClient } from '@ns/testkit';
import { jsonOf, type Json } from './support/json.js';
import {
  hasRedisServer,
  publish,
  readyStatus,
  startRedisGateway,
  startRedisServer,
  threat,
  uniquePrefix,
  until,
  type TestRedisServer,
} from './support/redis-gateways.js';

let redis: TestRedisServer;
let a: GatewayProcess;
let b: GatewayProcess;
const sockets: TestClient[] = [];

type Phase = 'before' | 'outage' | 'after';

interface Attempt {
  id: string;
  phase: Phase;
  status: number;
  body: Json;
}

/**
 * Publishes one threat at a time to `url` until stopped, recording every answer with the phase the
 * test was in when the answer came (so nothing depends on timing). `onAnswer` lets the test await
 * "the next 503" or "N more acknowledgements" as events.
 */
function publisher(url: string) {
  const attempts: Attempt[] = [];
  let phase: Phase = 'before';
  let running = true;
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const done = (async () => {
    for (let i = 0; running; i++) {
      const id = `evt-${i}`;
      let status: number;
      let body: Json;
      try {
        const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(threat(id, i)) });
        status = res.status;
        body = await jsonOf(res);
      } catch (err) {
        status = 0;
        body = { error: String(err) };
      }
      attempts.push({ id, phase, status, body });
      check();
    }
  })();
  const count = (p: Phase, status: number) => attempts.filter((x) => x.phase === p && x.status === status).length;
  return {
    attempts,
    set phase(p: Phase) {
      phase = p;
    },
    /** Resolves once `n` attempts of phase `p` were answered `status`. */
    answered(p: Phase, status: number, n: number): Promise<void> {
      return new Promise((resolve) => {
        waiters.push({ test: () => count(p, status) >= n, resolve });
        check();
      });
    },
    async stop(): Promise<void> {
      running = false;
      await done;
    },
  };
}

async function threatsSubscriber(gw: GatewayProcess): Promise<{ socket: TestClient; epoch: string }> {
  const socket = await TestClient.open(gw.wsUrl);
  sockets.push(socket);
  const reply = await socket.subscribe('threats');
  expect(reply).toMatchObject({ type: 'subscribed', seq: 0 });
  return { socket, epoch: reply.epoch as string };
}

/** The client's events of one channel, cut into runs of one epoch each, in arrival order. */
function epochRuns(events: Record<string, unknown>[]): { epoch: string; seqs: number[]; ids: string[] }[] {
  const runs: { epoch: string; seqs: number[]; ids: string[] }[] = [];
  for (const e of events) {
    let run = runs.at(-1);
    if (run === undefined || run.epoch !== e.epoch) {
      run = { epoch: e.epoch as string, seqs: [], ids: [] };
      runs.push(run);
    }
    run.seqs.push(e.seq as number);
    run.ids.push(e.id as string);
  }
  return runs;
}

describe.skipIf(!hasRedisServer)('Redis killed mid-stream and restarted under two gateways', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
    const prefix = uniquePrefix();
    [a, b] = await Promise.all([startRedisGateway(redis.url, prefix), startRedisGateway(redis.url, prefix)]);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('answers 503 and fails readiness during the outage, keeps clients connected, and resumes delivery without a silent gap', { timeout: 60_000 }, async () => {
    const onA = await threatsSubscriber(a);
    const onB = await threatsSubscriber(b);
    const pub = publisher(b.url);

    // Mid-stream: Redis dies while the publisher keeps going.
    await pub.answered('before', 202, 30);
    pub.phase = 'outage';
    await redis.kill();

    await pub.answered('outage', 503, 5);
    for (const x of pub.attempts.filter((x) => x.phase === 'outage' && x.status !== 202)) {
      expect(x.status).toBe(503);
      expect(x.body.error.code).toBe('unavailable');
    }
    for (const gw of [a, b]) {
      await until(`${gw.url}/readyz to fail`, async () => (await readyStatus(gw.url)) === 503);
      const readyz = await fetch(`${gw.url}/readyz`);
      expect(readyz.status).toBe(503);
      expect((await jsonOf(readyz)).error).toMatchObject({ code: 'unavailable', details: { engine: 'down', draining: false } });
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    }
    // Clients stay connected and are answered meanwhile; a new subscription is refused, not hung.
    for (const { socket } of [onA, onB]) {
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      const from = socket.messages.length;
      socket.send({ type: 'ping', id: 'during-outage' });
      expect(await socket.next((m) => m.id === 'during-outage', from)).toMatchObject({ type: 'pong' });
    }
    expect(await onA.socket.subscribe('alerts')).toMatchObject({ type: 'error', code: 'unavailable' });

    await redis.start();
    pub.phase = 'after';
    for (const gw of [a, b]) await until(`${gw.url}/readyz to recover`, async () => (await readyStatus(gw.url)) === 200);
    await pub.answered('after', 202, 30);
    await pub.stop();

    const acked = (p: Phase) => pub.attempts.filter((x) => x.phase === p && x.status === 202);
    const lastAck = acked('after').at(-1) as Attempt;
    const order = pub.attempts.map((x) => x.id);
    for (const { socket, epoch } of [onA, onB]) {
      await socket.next((m) => m.id === lastAck.id);
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      const runs = epochRuns(socket.events('threats'));
      // Redis came back empty (no persistence): the old epoch's run, then the new epoch's.
      expect(runs.map((r) => r.epoch)).toEqual([epoch, expect.not.stringMatching(`^${epoch}$`)]);
      const [old, renewed] = runs as [(typeof runs)[0], (typeof runs)[0]];
      // Within each epoch: seq 1, 2, 3, … — no gap, no duplicate, nothing out of order.
      expect(old.seqs).toEqual(old.seqs.map((_, i) => i + 1));
      expect(renewed.seqs).toEqual(renewed.seqs.map((_, i) => i + 1));
      // The old run is the publisher's first events in order (an event whose answer was lost in the
      // crash may be among them); every event acknowledged after the restart arrives, once, in order.
      expect(old.ids).toEqual(order.slice(0, old.ids.length));
      // B acknowledges only what B's own clients were handed. A cannot promise that for B's events:
      // Redis (without persistence) can die after answering B but before A read the pub/sub copy,
      // and takes the old epoch with it. A's clients then see the new epoch: earlier seqs are void.
      if (socket === onB.socket) expect(old.ids.length).toBeGreaterThanOrEqual(acked('before').length);
      expect(renewed.ids).toEqual(acked('after').map((x) => x.id));
      expect(renewed.ids.at(-1)).toBe(lastAck.id);
    }
    // Resuming from the last cursor of the old epoch is answered recovered:false with the new head.
    const lastOld = onA.socket.events('threats').filter((e) => e.epoch === onA.epoch).at(-1) as Record<string, unknown>;
    const resumed = await onA.socket.subscribe('threats', { since: { epoch: onA.epoch, seq: lastOld.seq } });
    expect(resumed).toMatchObject({ type: 'subscribed', recovered: false, seq: acked('after').length });
    expect(resumed.epoch).not.toBe(onA.epoch);
  });

  it('starts not ready when Redis is unreachable and becomes ready once it is up', { timeout: 60_000 }, async () => {
    await stopAllGateways();
    await redis.kill();
    const gw = await startRedisGateway(redis.url, uniquePrefix());
    expect(await readyStatus(gw.url)).toBe(503);
    const early = await publish(gw.url, threat('early'));
    expect(early.status).toBe(503);
    expect(early.json.error.code).toBe('unavailable');

    const client = await TestClient.open(gw.wsUrl);
    sockets.push(client);
    await redis.start();
    await until('readiness after Redis started', async () => (await readyStatus(gw.url)) === 200);
    expect(await client.subscribe('threats')).toMatchObject({ type: 'subscribed', seq: 0 });
    const res = await publish(gw.url, threat('late'));
    expect(res.status).toBe(202);
    expect(await client.next((m) => m.id === 'late')).toMatchObject({ seq: 1 });
  });
});
