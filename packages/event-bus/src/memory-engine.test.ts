import { NsError, type ChannelName } from '@ns/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PendingEvent, StoredEvent } from './engine.js';
import { MemoryEngine } from './memory-engine.js';
import { samplePending } from './sample-events.js';

const seqs = (events: readonly StoredEvent[]) => events.map((e) => e.envelope.seq);
const rejection = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err as NsError);

describe('MemoryEngine', () => {
  const engines: MemoryEngine[] = [];
  const make = (options?: ConstructorParameters<typeof MemoryEngine>[0]) => {
    const e = new MemoryEngine(options);
    engines.push(e);
    return e;
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  it('uses the given epoch, or a new random one per engine', async () => {
    expect((await make({ epoch: 'k3v9q1' }).heads()).threats.epoch).toBe('k3v9q1');
    expect(make().epoch).not.toBe(make().epoch);
  });

  it('shares one serialization per event: fan-out, replay and history hand out the same object', async () => {
    const engine = make();
    let live: StoredEvent | undefined;
    engine.subscribe((e) => (live = e));
    await engine.append([samplePending('threat.new')]);
    const replay = await engine.readSince('threats', undefined);
    const history = await engine.history('threats');
    expect(replay.events[0]).toBe(live);
    expect(history.events[0]).toBe(live);
    expect(JSON.parse(live!.json as string)).toEqual(live!.envelope);
    expect(Object.keys(live!.envelope)).toEqual(['type', 'channel', 'id', 'seq', 'epoch', 'ts', 'data']);
  });

  it('delivers an append made by a listener during fan-out after the current event, so every listener sees seq order', async () => {
    const engine = make();
    const first: number[] = [];
    const second: number[] = [];
    engine.subscribe((e) => {
      first.push(e.envelope.seq);
      if (e.envelope.seq === 1) void engine.append([samplePending('threat.new')]);
    });
    engine.subscribe((e) => second.push(e.envelope.seq));
    await engine.append([samplePending('threat.new')]);
    expect(first).toEqual([1, 2]);
    expect(second).toEqual([1, 2]);
  });

  it('keeps fanning out when a listener throws, and reports each failure to its logger', async () => {
    const errors: { obj: object; msg?: string }[] = [];
    const noop = () => {};
    const engine = make({ logger: { debug: noop, info: noop, warn: noop, error: (obj, msg) => errors.push({ obj, msg }) } });
    const got: number[] = [];
    const bad = new Error('bad listener');
    engine.subscribe(() => {
      throw bad;
    });
    engine.subscribe((e) => got.push(e.envelope.seq));
    await engine.append([samplePending('system.notice'), samplePending('system.notice')]);
    expect(got).toEqual([1, 2]);
    expect(errors).toEqual([
      { obj: { err: bad, channel: 'system' }, msg: 'memory engine: listener failed' },
      { obj: { err: bad, channel: 'system' }, msg: 'memory engine: listener failed' },
    ]);
  });

  it('stores nothing when any event of an append names an unknown channel', async () => {
    const engine = make();
    const bad = { ...samplePending('threat.new'), channel: 'nope' as ChannelName };
    const err = await rejection(engine.append([samplePending('threat.new'), bad]));
    expect(err?.code).toBe('unknown_channel');
    expect((await engine.heads()).threats.seq).toBe(0);
    expect(engine.retained('threats')).toBe(0);
    expect((await rejection(engine.readSince('nope' as ChannelName, undefined)))?.code).toBe('unknown_channel');
  });

  it('treats the same id within one batch as a duplicate of its first occurrence', async () => {
    const engine = make();
    const results = await engine.append([
      samplePending('threat.new', {}, { id: 'same' }),
      samplePending('threat.new', {}, { id: 'same' }),
    ]);
    expect(results).toEqual([
      { id: 'same', channel: 'threats', seq: 1, duplicate: false },
      { id: 'same', channel: 'threats', seq: 1, duplicate: true },
    ]);
  });

  it('only remembers publisher-supplied ids', async () => {
    const engine = make();
    await engine.append([samplePending('threat.new', {}, { id: 'gen_1', idempotent: false })]);
    expect(engine.idempotencyKeys).toBe(0);
    const again = await engine.append([samplePending('threat.new', {}, { id: 'gen_1', idempotent: false })]);
    expect(again[0]).toMatchObject({ seq: 2, duplicate: false });
  });

  it('forgets an id once the idempotency window has passed', async () => {
    vi.useFakeTimers();
    const engine = make({ idempotencyWindowMs: 60_000 });
    const pending = (): PendingEvent => samplePending('alert.new', {}, { id: 'alert_9' });
    await engine.append([pending()]);
    vi.advanceTimersByTime(59_999);
    expect((await engine.append([pending()]))[0]).toMatchObject({ seq: 1, duplicate: true });
    vi.advanceTimersByTime(1);
    expect((await engine.append([pending()]))[0]).toMatchObject({ seq: 2, duplicate: false });
  });

  describe('memory stays bounded', () => {
    it('caps each lossless ring at its registry size', async () => {
      const engine = make();
      const sizes: [ChannelName, string, number][] = [
        ['threats', 'threat.new', 1000],
        ['alerts', 'alert.new', 1000],
        ['correlations', 'correlation.new', 500],
        ['system', 'system.notice', 100],
      ];
      for (const [channel, type, size] of sizes) {
        await engine.append(Array.from({ length: size + 250 }, () => samplePending(type as PendingEvent['type'])));
        expect(engine.retained(channel)).toBe(size);
        const page = await engine.history(channel);
        expect(page.events).toHaveLength(size);
        expect(page.events[0]?.envelope.seq).toBe(251);
      }
    });

    it('caps the latest-per-key maps of status and metrics at 10 000 keys, evicting the stalest', async () => {
      const engine = make();
      for (const [channel, type] of [
        ['status', 'status.update'],
        ['metrics', 'metrics.update'],
      ] as const) {
        const batch = Array.from({ length: 10_050 }, (_, i) => samplePending(type, { component: `c${i}` }));
        await engine.append(batch);
        expect(engine.retained(channel)).toBe(10_000);
        const snapshot = await engine.readSince(channel, undefined);
        expect(snapshot.events).toHaveLength(10_000);
        expect(snapshot.events[0]?.envelope.data).toMatchObject({ component: 'c50' });
      }
    });

    it('keeps nothing for ephemeral events', async () => {
      const engine = make();
      await engine.append(Array.from({ length: 500 }, () => samplePending('event.raw')));
      expect(engine.retained('events')).toBe(0);
    });

    it('caps the idempotency window at maxIdempotencyKeys, forgetting the oldest ids', async () => {
      const engine = make({ maxIdempotencyKeys: 100 });
      await engine.append(Array.from({ length: 250 }, (_, i) => samplePending('system.notice', {}, { id: `n${i}` })));
      expect(engine.idempotencyKeys).toBe(100);
      const [old, recent] = await engine.append([
        samplePending('system.notice', {}, { id: 'n0' }),
        samplePending('system.notice', {}, { id: 'n249' }),
      ]);
      expect(old).toMatchObject({ seq: 251, duplicate: false });
      expect(recent).toMatchObject({ seq: 250, duplicate: true });
    });
  });

  it('serves latest-channel history pages', async () => {
    const engine = make();
    await engine.append(['a', 'b', 'c', 'd'].map((component) => samplePending('status.update', { component })));
    expect(seqs((await engine.history('status', { limit: 2 })).events)).toEqual([3, 4]);
    expect(seqs((await engine.history('status', { sinceSeq: 1, limit: 2 })).events)).toEqual([2, 3]);
  });

  it('rejects every read with unavailable after close, and closes once', async () => {
    const engine = make();
    const states: string[] = [];
    engine.onStateChange((s) => states.push(s));
    const detach = engine.onStateChange(() => states.push('detached listener'));
    detach();
    await engine.close();
    await engine.close();
    expect(states).toEqual(['down']);
    for (const p of [engine.readSince('threats', undefined), engine.history('threats'), engine.heads()]) {
      expect((await rejection(p))?.code).toBe('unavailable');
    }
  });
});
