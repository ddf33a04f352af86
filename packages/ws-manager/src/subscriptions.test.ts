import { CHANNELS, type ChannelName, type SinceCursor } from '@ns/contracts';
import { EventBus, MemoryEngine, compileFilter, type BusEvent, type ReadSinceResult } from '@ns/event-bus';
import { sampleEvents } from '@ns/event-bus/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingSink } from '../test/recording-sink.js';
import { Subscriptions, type EnvelopeFilter } from './subscriptions.js';

const { threat, notice, status } = sampleEvents;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * An engine whose history read takes a round trip, like Redis: events appended meanwhile reach the
 * live feed *and* the read, so the replay → live boundary must drop the overlap.
 */
class RoundTripEngine extends MemoryEngine {
  override async readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult> {
    await tick();
    return super.readSince(channel, since);
  }
}

const buses: EventBus[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

/** A bus whose every event goes through one {@link Subscriptions} fan-out, as in the manager. */
function setup(engine?: MemoryEngine) {
  const bus = new EventBus(engine === undefined ? {} : { engine });
  buses.push(bus);
  const subscriptions = new Subscriptions();
  for (const channel of ['threats', 'system', 'status'] as const) bus.subscribe(channel, (e) => subscriptions.fanOut(e));
  /** Subscribes like the subscribe handler: begin, read, go live with the (filtered) replay. */
  const subscribe = async (sink: RecordingSink, channel: ChannelName, since?: SinceCursor, filter: EnvelopeFilter = null) => {
    const s = subscriptions.begin(sink, channel, filter);
    const read = await bus.readSince(channel, since);
    // As the handler does: without a cursor only latest-per-key channels replay (their snapshot).
    const events = since === undefined && CHANNELS[channel].delivery !== 'latest' ? [] : read.events;
    const replay = events.filter((e: BusEvent) => filter === null || filter(e.envelope));
    const bytes = subscriptions.goLive(s, read.epoch, read.seq, replay);
    return { subscription: s, read, bytes };
  };
  return { bus, subscriptions, subscribe };
}

/** Same members in any order, by identity (subscriptions of look-alike sinks are deep-equal). */
function expectSameMembers<T>(actual: readonly T[], expected: readonly T[]): void {
  expect(actual.length).toBe(expected.length);
  for (const x of expected) expect(actual.includes(x)).toBe(true);
}

describe('Subscriptions', () => {
  it('replays exactly the missed events, buffers live ones while replaying, then goes live', async () => {
    const { bus, subscriptions } = setup();
    await bus.publishBatch(range(1, 10).map(() => threat()));
    const { epoch } = (await bus.heads()).threats;
    const sink = new RecordingSink();
    const s = subscriptions.begin(sink, 'threats', null);
    expect(s.state).toBe('replaying');
    const read = await bus.readSince('threats', { epoch, seq: 6 });
    await bus.publish(threat()); // arrives while replaying: buffered
    expect(sink.seqs).toEqual([]);
    expect(subscriptions.counts().threats).toBe(0);
    // The bytes replayed (for the replay budget): "7", "8", "9", "10" in the test format.
    expect(subscriptions.goLive(s, read.epoch, read.seq, read.events)).toBe(5);
    expect(s.state).toBe('live');
    expect(subscriptions.counts().threats).toBe(1);
    await bus.publish(threat());
    expect(sink.seqs).toEqual(range(7, 12));
    expect(s.cursor).toEqual({ epoch, seq: 12 });
  });

  it('gives a sink added during a burst seq strictly increasing, with no duplicate and no gap', async () => {
    const { bus, subscribe } = setup();
    let lastSeen = 0;
    bus.subscribe('threats', (e) => void (lastSeen = e.seq));
    const burst = (async () => {
      for (let i = 0; i < 40; i++) {
        await bus.publishBatch(range(1, 25).map(() => threat()));
        await bus.publish(threat());
        if (i % 3 === 0) await tick();
      }
    })();
    const joined: { sink: RecordingSink; since: number; head: number }[] = [];
    for (let k = 0; k < 8; k++) {
      await tick();
      const sink = new RecordingSink();
      const since = Math.max(0, lastSeen - 5 * k);
      const { epoch } = (await bus.heads()).threats;
      const reading = subscribe(sink, 'threats', k % 2 === 0 ? { epoch, seq: since } : undefined);
      void bus.publish(threat()); // lands during the read
      const { read } = await reading;
      joined.push({ sink, since: k % 2 === 0 ? since : read.seq, head: read.seq });
    }
    await burst;
    const final = (await bus.heads()).threats.seq;
    expect(final).toBe(40 * 26 + 8);
    expect(joined.filter(({ head }) => head > 0 && head < 40 * 26).length).toBeGreaterThanOrEqual(6);
    for (const { sink, since } of joined) expect(sink.seqs).toEqual(range(since + 1, final));
  });

  it('drops the overlap when the history read is a round trip and events arrive meanwhile', async () => {
    const { bus, subscribe } = setup(new RoundTripEngine());
    await bus.publishBatch([notice('1'), notice('2')]);
    const { epoch } = (await bus.heads()).system;
    const sink = new RecordingSink();
    const subscribing = subscribe(sink, 'system', { epoch, seq: 1 });
    await bus.publish(notice('3')); // buffered AND included in the read
    const { read } = await subscribing;
    expect(read.seq).toBe(3);
    await bus.publish(notice('4'));
    expect(sink.seqs).toEqual([2, 3, 4]);
  });

  it('applies the filter to replay, buffered and live events alike', async () => {
    const { bus, subscriptions } = setup();
    await bus.publishBatch([threat({ threat_score: 9 }), threat({ threat_score: 1 }), threat({ threat_score: 8 })]);
    const filter = compileFilter('threats', { min_score: 5 });
    const sink = new RecordingSink();
    const s = subscriptions.begin(sink, 'threats', filter);
    const read = await bus.readSince('threats', { epoch: (await bus.heads()).threats.epoch, seq: 0 });
    await bus.publishBatch([threat({ threat_score: 2 }), threat({ threat_score: 7 })]);
    subscriptions.goLive(s, read.epoch, read.seq, read.events.filter((e) => filter(e.envelope)));
    await bus.publishBatch([threat({ threat_score: 0 }), threat({ threat_score: 10 })]);
    expect(sink.seqs).toEqual([1, 3, 5, 7]);
  });

  it('replays the latest value per component, then live updates', async () => {
    const { bus, subscribe } = setup();
    await bus.publishBatch([status('kafka'), status('redis'), status('kafka', { status: 'degraded' })]);
    const sink = new RecordingSink();
    await subscribe(sink, 'status');
    await bus.publish(status('redis', { status: 'unhealthy' }));
    expect(sink.seqs).toEqual([2, 3, 4]);
  });

  it('keeps the live subscription delivering while its replacement replays, then swaps without a repeat', async () => {
    const { bus, subscriptions, subscribe } = setup(new RoundTripEngine());
    const sink = new RecordingSink();
    await subscribe(sink, 'system');
    await bus.publish(notice());
    const replacing = subscribe(sink, 'system', { epoch: (await bus.heads()).system.epoch, seq: 0 });
    await bus.publish(notice()); // the old one delivers it; the new one buffers it
    expect(subscriptions.count(sink)).toBe(1);
    await replacing;
    await bus.publish(notice());
    // The replacement replays from 0 (its own cursor), so 1 and 2 come again, then 3 once.
    expect(sink.seqs).toEqual([1, 2, 1, 2, 3]);
    expect(subscriptions.counts().system).toBe(1);
  });

  it('never delivers after end, and a superseded or ended replay does not go live', async () => {
    const { bus, subscriptions } = setup();
    const sink = new RecordingSink();
    const first = subscriptions.begin(sink, 'system', null);
    const second = subscriptions.begin(sink, 'system', null);
    expect(first.state).toBe('ended');
    const read = await bus.readSince('system', undefined);
    expect(subscriptions.goLive(first, read.epoch, read.seq, [])).toBeUndefined();
    expect(subscriptions.endChannel(sink, 'system')).toBe(true);
    expect(subscriptions.goLive(second, read.epoch, read.seq, [])).toBeUndefined();
    await bus.publish(notice());
    expect(sink.seqs).toEqual([]);
    expect(subscriptions.channelsOf(sink)).toEqual([]);
    expect(subscriptions.counts().system).toBe(0);
  });

  it('forgets every subscription of a sink that closed', async () => {
    const { bus, subscriptions, subscribe } = setup();
    const sink = new RecordingSink();
    await subscribe(sink, 'system');
    subscriptions.begin(sink, 'threats', null);
    expect(subscriptions.channelsOf(sink).sort()).toEqual(['system', 'threats']);
    subscriptions.endSink(sink);
    await bus.publish(notice());
    expect(sink.seqs).toEqual([]);
    expect(subscriptions.count(sink)).toBe(0);
    expect(subscriptions.replayingOf('threats').size).toBe(0);
  });

  it('lists the live subscriptions of a channel, the delivering one while a re-subscribe replays', async () => {
    const { subscriptions, subscribe } = setup();
    const [a, b, c] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    const sa = (await subscribe(a, 'threats')).subscription;
    const sb = (await subscribe(b, 'threats')).subscription;
    await subscribe(b, 'system');
    subscriptions.begin(c, 'threats', null);
    expectSameMembers(subscriptions.liveOf('threats'), [sa, sb]);
    // a re-subscribes: its old subscription delivers (and is listed) until the new one goes live.
    const again = subscriptions.begin(a, 'threats', null);
    expectSameMembers(subscriptions.liveOf('threats'), [sa, sb]);
    subscriptions.goLive(again, '', 0, []);
    expectSameMembers(subscriptions.liveOf('threats'), [again, sb]);
    subscriptions.end(sb);
    expectSameMembers(subscriptions.liveOf('threats'), [again]);
    expect(subscriptions.counts().threats).toBe(1);
    expectSameMembers(subscriptions.liveOf('status'), []);
  });
});
