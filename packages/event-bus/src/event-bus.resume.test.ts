import { NsError, type ChannelName, type SinceCursor } from '@ns/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from './bus-event.js';
import type { ReadSinceResult } from './engine.js';
import { EventBus } from './event-bus.js';
import { MemoryEngine } from './memory-engine.js';
import type { ResumedSubscription } from './resumed-subscription.js';
import { sampleEvents } from './sample-events.js';

const { threat, notice, status } = sampleEvents;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * An engine whose history read takes a round trip, like Redis: events appended meanwhile reach the
 * bus's live feed *and* the read, so the handover must drop the overlap.
 */
class RoundTripEngine extends MemoryEngine {
  override async readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult> {
    await tick();
    return super.readSince(channel, since);
  }
}

/** What one resumed subscriber sees: replay, then live events, as one stream of seqs. */
function watcher() {
  const live: BusEvent[] = [];
  return {
    handler: (e: BusEvent) => void live.push(e),
    live,
    stream: (sub: ResumedSubscription) => [...sub.replay, ...live].map((e) => e.seq),
  };
}

async function rejected(p: Promise<unknown>): Promise<NsError> {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof NsError)) throw err;
  return err;
}

describe('EventBus.resume', () => {
  const buses: EventBus[] = [];
  const make = (engine?: MemoryEngine) => {
    const bus = new EventBus(engine === undefined ? {} : { engine });
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map(async (b) => {
      await b.close();
      await b.engine.close();
    }));
  });

  it('replays exactly the missed events, then goes live on start(), with recovered: true', async () => {
    const bus = make();
    await bus.publishBatch(range(1, 10).map(() => threat()));
    const { epoch } = (await bus.heads()).threats;
    const w = watcher();
    const sub = await bus.resume('threats', { since: { epoch, seq: 6 } }, w.handler);
    expect(sub).toMatchObject({ channel: 'threats', epoch, seq: 10, recovered: true });
    expect(sub.replay.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    await bus.publish(threat());
    expect(w.live).toEqual([]);
    sub.start();
    await bus.publish(threat());
    expect(w.stream(sub)).toEqual(range(7, 12));
    sub.unsubscribe();
  });

  it('gives a subscriber added during a burst seq strictly increasing, with no duplicate and no gap after the seq it was given', async () => {
    const bus = make();
    const subs: { sub: ResumedSubscription; w: ReturnType<typeof watcher>; since: number }[] = [];
    let lastSeen = 0;
    bus.subscribe('threats', (e) => void (lastSeen = e.seq));
    const burst = (async () => {
      for (let i = 0; i < 40; i++) {
        await bus.publishBatch(range(1, 25).map(() => threat()));
        await bus.publish(threat());
        if (i % 3 === 0) await tick();
      }
    })();
    // Join at different points of the burst, some with a cursor, some fresh; start at different times.
    for (let k = 0; k < 8; k++) {
      await tick();
      const w = watcher();
      const since = Math.max(0, lastSeen - 5 * k);
      const { epoch } = (await bus.heads()).threats;
      const sub = await bus.resume('threats', k % 2 === 0 ? { since: { epoch, seq: since } } : {}, w.handler);
      subs.push({ sub, w, since: k % 2 === 0 ? since : 0 });
      void bus.publish(threat()); // lands between resume and start
      if (k % 3 === 0) await tick();
      sub.start();
    }
    await burst;
    const final = (await bus.heads()).threats.seq;
    expect(final).toBe(40 * 26 + 8);
    // The joins really happened mid-burst, not before or after it.
    expect(subs.filter(({ sub }) => sub.seq > 0 && sub.seq < 40 * 26).length).toBeGreaterThanOrEqual(6);
    for (const { sub, w, since } of subs) {
      const stream = w.stream(sub);
      expect(sub.recovered).toBe(since > 0);
      expect(w.live.length).toBeGreaterThan(0);
      expect(w.live[0]!.seq).toBe(sub.seq + 1);
      const first = since > 0 ? since + 1 : (stream[0] as number);
      expect(stream).toEqual(range(first, final));
      sub.unsubscribe();
    }
  });

  it('drops the overlap when the history read is a round trip and events arrive meanwhile', async () => {
    const bus = make(new RoundTripEngine());
    await bus.publishBatch([notice('1'), notice('2')]);
    const { epoch } = (await bus.heads()).system;
    const w = watcher();
    const resuming = bus.resume('system', { since: { epoch, seq: 1 } }, w.handler);
    await bus.publish(notice('3')); // live-buffered AND included in the read
    const sub = await resuming;
    expect(sub.seq).toBe(3);
    expect(sub.replay.map((e) => e.seq)).toEqual([2, 3]);
    await bus.publish(notice('4'));
    sub.start();
    await bus.publish(notice('5'));
    expect(w.stream(sub)).toEqual([2, 3, 4, 5]);
  });

  it('says recovered: false and replays what is retained when the epoch differs or the gap left the ring', async () => {
    const bus = make();
    await bus.publishBatch(range(1, 150).map(() => notice()));
    const { epoch } = (await bus.heads()).system;
    const otherEpoch = await bus.resume('system', { since: { epoch: 'gone', seq: 140 } }, () => {});
    expect(otherEpoch).toMatchObject({ recovered: false, epoch, seq: 150 });
    expect(otherEpoch.replay.map((e) => e.seq)).toEqual(range(51, 150));
    const lost = await bus.resume('system', { since: { epoch, seq: 20 } }, () => {});
    expect(lost.recovered).toBe(false);
    expect(lost.replay).toHaveLength(100);
    otherEpoch.unsubscribe();
    lost.unsubscribe();
  });

  it('replays the latest value per component for status, then live updates', async () => {
    const bus = make();
    await bus.publishBatch([status('kafka'), status('redis'), status('kafka', { status: 'degraded' })]);
    const w = watcher();
    const sub = await bus.resume('status', {}, w.handler);
    expect(sub.replay.map((e) => [e.seq, e.envelope.data])).toEqual([
      [2, expect.objectContaining({ component: 'redis' })],
      [3, expect.objectContaining({ component: 'kafka', status: 'degraded' })],
    ]);
    sub.start();
    await bus.publish(status('redis', { status: 'unhealthy' }));
    expect(w.live.map((e) => e.seq)).toEqual([4]);
  });

  it('applies the filter to replay and live events alike', async () => {
    const bus = make();
    await bus.publishBatch([threat({ threat_score: 9 }), threat({ threat_score: 1 }), threat({ threat_score: 8 })]);
    const w = watcher();
    const sub = await bus.resume('threats', { filter: { min_score: 5 } }, w.handler);
    await bus.publishBatch([threat({ threat_score: 2 }), threat({ threat_score: 7 })]);
    sub.start();
    await bus.publishBatch([threat({ threat_score: 0 }), threat({ threat_score: 10 })]);
    expect(w.stream(sub)).toEqual([1, 3, 5, 7]);
    const predicate = await bus.resume('threats', { filter: (e) => e.seq % 2 === 0 }, () => {});
    expect(predicate.replay.map((e) => e.seq)).toEqual([2, 4, 6]);
  });

  it('delivers events published by the handler during start() in order, after the buffered ones', async () => {
    const bus = make();
    const seen: number[] = [];
    let sub: ResumedSubscription | undefined;
    sub = await bus.resume('system', {}, (e) => {
      seen.push(e.seq);
      if (e.seq === 1) void bus.publish(notice('echo'));
    });
    await bus.publishBatch([notice(), notice()]);
    sub.start();
    expect(seen).toEqual([1, 2, 3]);
    sub.start(); // idempotent
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops when the handler unsubscribes during start(), and never delivers after unsubscribe', async () => {
    const bus = make();
    const seen: number[] = [];
    const sub: ResumedSubscription = await bus.resume('system', {}, (e) => {
      seen.push(e.seq);
      sub.unsubscribe();
    });
    await bus.publishBatch([notice(), notice(), notice()]);
    sub.start();
    await bus.publish(notice());
    expect(seen).toEqual([1]);
    const early = await bus.resume('system', {}, (e) => seen.push(-e.seq));
    await bus.publish(notice());
    early.unsubscribe();
    early.start();
    expect(seen).toEqual([1]);
  });

  it('counts a throwing handler without stopping the handover', async () => {
    const bus = make();
    const seen: number[] = [];
    const sub = await bus.resume('system', {}, (e) => {
      seen.push(e.seq);
      throw new Error('bad client');
    });
    await bus.publishBatch([notice(), notice()]);
    sub.start();
    await bus.publish(notice());
    expect(seen).toEqual([1, 2, 3]);
    expect(bus.metrics().handlerErrors.system).toBe(3);
    expect(bus.metrics().delivered.system).toBe(3);
  });

  it('leaves out of the replay, and counts, events a throwing predicate cannot judge', async () => {
    const bus = make();
    await bus.publishBatch([notice('a'), notice('b')]);
    const sub = await bus.resume('system', { filter: (e) => (e.seq === 1 ? (() => { throw new Error('bad predicate'); })() : true) }, () => {});
    expect(sub.replay.map((e) => e.seq)).toEqual([2]);
    expect(bus.metrics().handlerErrors.system).toBe(1);
    sub.unsubscribe();
  });

  it('rejects unknown channels, invalid filters and a down engine, leaving nothing subscribed', async () => {
    const engine = new MemoryEngine();
    const bus = make(engine);
    expect((await rejected(bus.resume('nope' as ChannelName, {}, () => {}))).code).toBe('unknown_channel');
    const badFilter = await rejected(bus.resume('threats', { filter: { min_score: -1 } }, () => {}));
    expect(badFilter.code).toBe('invalid_message');
    expect(badFilter.issues?.[0]?.path).toBe('filter.min_score');
    expect((await rejected(bus.resume('threats', {}, 'x' as never))).code).toBe('invalid_message');
    await engine.close();
    expect((await rejected(bus.resume('threats', {}, () => {}))).code).toBe('unavailable');
  });

  it('ends resumed subscriptions when the bus closes', async () => {
    const engine = new MemoryEngine();
    const bus = make(engine);
    const other = make(engine);
    const seen: number[] = [];
    const sub = await bus.resume('system', {}, (e) => seen.push(e.seq));
    sub.start();
    await bus.close();
    await other.publish(notice());
    expect(seen).toEqual([]);
    expect((await rejected(bus.resume('system', {}, () => {}))).code).toBe('unavailable');
  });
});
