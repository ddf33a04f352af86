import { CHANNEL_NAMES, CHANNELS, NsError, type ChannelName } from '@ns/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine, EngineState, StoredEvent } from './engine.js';
import { samplePending } from './sample-events.js';

/** Collects what an engine fans out, with a way to await the n-th event (engines may fan out async). */
function collect(engine: Engine) {
  const events: StoredEvent[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const detach = engine.subscribe((event) => {
    events.push(event);
    waiters = waiters.filter((w) => (events.length >= w.n ? (w.resolve(), false) : true));
  });
  return {
    events,
    detach,
    until: (n: number) =>
      events.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

const seqs = (events: readonly StoredEvent[]) => events.map((e) => e.envelope.seq);

const ringSize = (channel: ChannelName): number => {
  const h = CHANNELS[channel].history;
  if (h.kind !== 'ring') throw new Error(`${channel} has no ring`);
  return h.size;
};

/** Engine settings some contract tests need; `makeEngine` passes them to the engine's constructor. */
export interface EngineContractOptions {
  /** Most idempotency ids remembered at once. */
  maxIdempotencyKeys?: number;
}

/**
 * The behaviour every {@link Engine} must have (docs/protocol.md#channels, #resume; docs/architecture.md#the-engine-seam), as a vitest suite:
 * `engineContract('RedisEngine', (o) => new RedisEngine({ prefix: uniquePrefix(), ...o }))`.
 * `makeEngine` must return a fresh engine with empty history each time, honouring `options`; the
 * suite closes it after each test.
 */
export function engineContract(name: string, makeEngine: (options?: EngineContractOptions) => Promise<Engine> | Engine): void {
  describe(`Engine contract: ${name}`, () => {
    const open: Engine[] = [];
    const fresh = async (options?: EngineContractOptions) => {
      const engine = await makeEngine(options);
      open.push(engine);
      return engine;
    };

    afterEach(async () => {
      await Promise.all(open.splice(0).map((e) => e.close()));
    });

    it('starts every channel at seq 0 with one epoch that stays stable', async () => {
      const engine = await fresh();
      expect(engine.state).toBe('ready');
      const heads = await engine.heads();
      expect(Object.keys(heads).sort()).toEqual([...CHANNEL_NAMES].sort());
      for (const c of CHANNEL_NAMES) {
        expect(heads[c].seq).toBe(0);
        expect(heads[c].epoch).toMatch(/^\S{1,64}$/);
      }
      await engine.append([samplePending('threat.new'), samplePending('status.update')]);
      const later = await engine.heads();
      for (const c of CHANNEL_NAMES) expect(later[c].epoch).toBe(heads[c].epoch);
    });

    it('assigns seq strictly +1 from 1 per channel, independently of other channels', async () => {
      const engine = await fresh();
      const results = await engine.append([
        samplePending('threat.new'),
        samplePending('alert.new'),
        samplePending('threat.new'),
        samplePending('alert.resolved'),
        samplePending('threat.new'),
      ]);
      expect(results.map((r) => [r.channel, r.seq])).toEqual([
        ['threats', 1],
        ['alerts', 1],
        ['threats', 2],
        ['alerts', 2],
        ['threats', 3],
      ]);
      const next = await engine.append([samplePending('threat.new')]);
      expect(next[0]).toMatchObject({ channel: 'threats', seq: 4, duplicate: false });
      const heads = await engine.heads();
      expect(heads.threats.seq).toBe(4);
      expect(heads.alerts.seq).toBe(2);
      expect(heads.system.seq).toBe(0);
    });

    it('fans every stored event out to every attached listener, in seq order, as full envelopes', async () => {
      const engine = await fresh();
      const a = collect(engine);
      const b = collect(engine);
      const pending = [samplePending('threat.new', { threat_score: 1 }), samplePending('threat.new', { threat_score: 2 })];
      await engine.append(pending);
      await engine.append([samplePending('threat.new', { threat_score: 3 })]);
      await Promise.all([a.until(3), b.until(3)]);
      expect(seqs(a.events)).toEqual([1, 2, 3]);
      expect(seqs(b.events)).toEqual([1, 2, 3]);
      const { epoch } = (await engine.heads()).threats;
      const first = pending[0]!;
      expect(a.events[0]!.envelope).toEqual({
        type: 'threat.new',
        channel: 'threats',
        id: first.id,
        seq: 1,
        epoch,
        ts: first.ts,
        data: first.data,
      });
      if (a.events[0]!.json !== undefined) expect(JSON.parse(a.events[0]!.json)).toEqual(a.events[0]!.envelope);
    });

    it('stops delivering to a detached listener', async () => {
      const engine = await fresh();
      const kept = collect(engine);
      const gone = collect(engine);
      gone.detach();
      await engine.append([samplePending('system.notice')]);
      await kept.until(1);
      expect(gone.events).toEqual([]);
    });

    it('answers the same event again (id, type, data in any key order) with the original result, duplicate, and neither stores nor delivers it again', async () => {
      const engine = await fresh();
      const feed = collect(engine);
      const original = samplePending('alert.new', { id: 'alert_123', message: 'High threat detected' }, { id: 'alert_123' });
      const [first] = await engine.append([original]);
      // The same content with its keys in another order is the same event.
      const reordered = Object.fromEntries(Object.entries(original.data).reverse());
      const again = await engine.append([
        { ...original, data: reordered },
        samplePending('alert.new', { id: 'alert_124' }, { id: 'alert_124' }),
      ]);
      expect(first).toEqual({ id: 'alert_123', channel: 'alerts', seq: 1, duplicate: false });
      expect(again).toEqual([
        { id: 'alert_123', channel: 'alerts', seq: 1, duplicate: true },
        { id: 'alert_124', channel: 'alerts', seq: 2, duplicate: false },
      ]);
      await feed.until(2);
      expect(feed.events.map((e) => e.envelope.id)).toEqual(['alert_123', 'alert_124']);
      expect(seqs((await engine.history('alerts')).events)).toEqual([1, 2]);
      expect((await engine.heads()).alerts.seq).toBe(2);
    });

    it('refuses an id reused for another type, another channel or other data with id_conflict naming it, and stores nothing', async () => {
      const engine = await fresh();
      const feed = collect(engine);
      await engine.append([samplePending('alert.new', {}, { id: 'alert_123' }), samplePending('threat.new', {}, { id: 'proc-7' })]);
      const reuses = [
        samplePending('alert.resolved', {}, { id: 'alert_123' }), // same channel, another type
        samplePending('alert.new', {}, { id: 'proc-7' }), // another channel
        samplePending('alert.new', { message: 'changed' }, { id: 'alert_123' }), // same type, other data
      ];
      for (const reuse of reuses) {
        const err = await engine.append([reuse]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NsError);
        expect((err as NsError).code).toBe('id_conflict');
        expect((err as NsError).message).toContain(`"${reuse.id}"`);
        expect((err as NsError).details).toEqual({ ids: [reuse.id] });
        expect((err as NsError).issues).toEqual([{ index: 0, path: 'events[0].id', code: 'id_conflict', message: expect.stringContaining(reuse.id) }]);
      }
      const heads = await engine.heads();
      expect([heads.alerts.seq, heads.threats.seq]).toEqual([1, 1]);
      // The id still belongs to the first event: a retry of it is a duplicate.
      expect(await engine.append([samplePending('alert.new', {}, { id: 'alert_123' })])).toEqual([
        { id: 'alert_123', channel: 'alerts', seq: 1, duplicate: true },
      ]);
      await engine.append([samplePending('system.notice', {}, { id: 'marker' })]);
      await feed.until(3);
      expect(feed.events.map((e) => e.envelope.id)).toEqual(['alert_123', 'proc-7', 'marker']);
    });

    it('refuses a whole batch when one id conflicts — with the window or within the batch — and stores none of it', async () => {
      const engine = await fresh();
      const feed = collect(engine);
      await engine.append([samplePending('alert.new', {}, { id: 'alert_123' })]);
      const fresh1 = samplePending('threat.new', {}, { id: 'new-1' });
      const err = await engine
        .append([fresh1, samplePending('alert.resolved', {}, { id: 'alert_123' }), samplePending('system.notice', {}, { id: 'n-1' })])
        .catch((e: unknown) => e);
      expect((err as NsError).code).toBe('id_conflict');
      expect((err as NsError).issues?.map((i) => [i.index, i.path])).toEqual([[1, 'events[1].id']]);
      // The same id twice in one batch with different content.
      const inBatch = await engine
        .append([samplePending('system.notice', { message: 'a' }, { id: 'twice' }), samplePending('system.notice', { message: 'b' }, { id: 'twice' })])
        .catch((e: unknown) => e);
      expect((inBatch as NsError).code).toBe('id_conflict');
      expect((inBatch as NsError).details).toEqual({ ids: ['twice'] });
      const heads = await engine.heads();
      expect([heads.threats.seq, heads.system.seq, heads.alerts.seq]).toEqual([0, 0, 1]);
      // Nothing of the refused batches was remembered either: its ids are still free.
      expect(await engine.append([fresh1, samplePending('system.notice', { message: 'b' }, { id: 'twice' })])).toEqual([
        { id: 'new-1', channel: 'threats', seq: 1, duplicate: false },
        { id: 'twice', channel: 'system', seq: 1, duplicate: false },
      ]);
      await feed.until(3);
      expect(feed.events.map((e) => e.envelope.id)).toEqual(['alert_123', 'new-1', 'twice']);
    });

    it('stores the same event twice in one batch once; the second is a duplicate of the first', async () => {
      const engine = await fresh();
      const event = samplePending('threat.new', {}, { id: 'proc-7' });
      expect(await engine.append([event, samplePending('threat.new'), event])).toEqual([
        { id: 'proc-7', channel: 'threats', seq: 1, duplicate: false },
        expect.objectContaining({ seq: 2, duplicate: false }),
        { id: 'proc-7', channel: 'threats', seq: 1, duplicate: true },
      ]);
      expect((await engine.heads()).threats.seq).toBe(2);
    });

    it('remembers at most maxIdempotencyKeys ids, forgetting the oldest first', async () => {
      const engine = await fresh({ maxIdempotencyKeys: 5 });
      const event = (i: number) => samplePending('system.notice', { message: `m${i}` }, { id: `id-${i}` });
      for (let i = 0; i < 8; i++) await engine.append([event(i)]);
      // Newest first, so no re-append below evicts one that is still to be checked.
      const kept = await engine.append([7, 6, 5, 4, 3].map(event));
      expect(kept.map((r) => [r.id, r.seq, r.duplicate])).toEqual([7, 6, 5, 4, 3].map((i) => [`id-${i}`, i + 1, true]));
      const forgotten = await engine.append([event(2)]);
      expect(forgotten).toEqual([{ id: 'id-2', channel: 'system', seq: 9, duplicate: false }]);
    });

    it('replays exactly the missed events of a lossless channel, in order, with recovered: true', async () => {
      const engine = await fresh();
      await engine.append(Array.from({ length: 10 }, (_, i) => samplePending('system.notice', { message: `n${i + 1}` })));
      const { epoch } = (await engine.heads()).system;
      const read = await engine.readSince('system', { epoch, seq: 4 });
      expect(read).toMatchObject({ epoch, seq: 10, recovered: true });
      expect(seqs(read.events)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(read.events.map((e) => e.envelope.data)).toEqual(
        [5, 6, 7, 8, 9, 10].map((n) => expect.objectContaining({ message: `n${n}` })),
      );
      const fromStart = await engine.readSince('system', { epoch, seq: 0 });
      expect(fromStart.recovered).toBe(true);
      expect(seqs(fromStart.events)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const caughtUp = await engine.readSince('system', { epoch, seq: 10 });
      expect(caughtUp).toMatchObject({ recovered: true, seq: 10, events: [] });
    });

    it('says recovered: false, with what is retained, when the gap has left the ring', async () => {
      const engine = await fresh();
      const size = ringSize('system');
      await engine.append(Array.from({ length: size + 50 }, () => samplePending('system.notice')));
      const { epoch } = (await engine.heads()).system;
      const lost = await engine.readSince('system', { epoch, seq: 10 });
      expect(lost.recovered).toBe(false);
      expect(lost.seq).toBe(size + 50);
      expect(seqs(lost.events)).toEqual(Array.from({ length: size }, (_, i) => 51 + i));
      const edge = await engine.readSince('system', { epoch, seq: 50 });
      expect(edge.recovered).toBe(true);
      expect(edge.events).toHaveLength(size);
    });

    it('says recovered: false when the epoch differs or the cursor is ahead of the channel', async () => {
      const engine = await fresh();
      await engine.append([samplePending('threat.new'), samplePending('threat.new')]);
      const { epoch } = (await engine.heads()).threats;
      const otherEpoch = await engine.readSince('threats', { epoch: `${epoch}x`, seq: 1 });
      expect(otherEpoch).toMatchObject({ epoch, seq: 2, recovered: false });
      expect(seqs(otherEpoch.events)).toEqual([1, 2]);
      const ahead = await engine.readSince('threats', { epoch, seq: 7 });
      expect(ahead.recovered).toBe(false);
    });

    it('gives the retained history, not recovered, when no cursor is given', async () => {
      const engine = await fresh();
      await engine.append([samplePending('correlation.new'), samplePending('correlation.new')]);
      const read = await engine.readSince('correlations', undefined);
      expect(read.recovered).toBe(false);
      expect(seqs(read.events)).toEqual([1, 2]);
    });

    it('keeps the latest event per key for status and metrics: a snapshot, or the keys changed since the cursor', async () => {
      const engine = await fresh();
      for (const channel of ['status', 'metrics'] as const) {
        const type = channel === 'status' ? 'status.update' : 'metrics.update';
        await engine.append([
          samplePending(type, { component: 'a' }),
          samplePending(type, { component: 'b' }),
          samplePending(type, { component: 'a' }),
          samplePending(type, { component: 'c' }),
        ]);
        const snapshot = await engine.readSince(channel, undefined);
        expect(snapshot.seq).toBe(4);
        expect(snapshot.events.map((e) => [e.envelope.seq, (e.envelope.data as { component: string }).component])).toEqual([
          [2, 'b'],
          [3, 'a'],
          [4, 'c'],
        ]);
        const since = await engine.readSince(channel, { epoch: snapshot.epoch, seq: 2 });
        expect(since.recovered).toBe(true);
        expect(seqs(since.events)).toEqual([3, 4]);
        const otherEpoch = await engine.readSince(channel, { epoch: `${snapshot.epoch}x`, seq: 2 });
        expect(otherEpoch.recovered).toBe(false);
        expect(seqs(otherEpoch.events)).toEqual([2, 3, 4]);
      }
    });

    it('sequences ephemeral events but keeps no history for them', async () => {
      const engine = await fresh();
      const results = await engine.append([samplePending('event.raw'), samplePending('event.raw')]);
      expect(results.map((r) => r.seq)).toEqual([1, 2]);
      const { epoch } = (await engine.heads()).events;
      expect(await engine.readSince('events', { epoch, seq: 2 })).toMatchObject({ recovered: true, events: [], seq: 2 });
      expect(await engine.readSince('events', { epoch, seq: 1 })).toMatchObject({ recovered: false, events: [] });
      expect((await engine.history('events')).events).toEqual([]);
    });

    it('pages history forward from sinceSeq, and gives the newest page without it', async () => {
      const engine = await fresh();
      await engine.append(Array.from({ length: 12 }, () => samplePending('threat.new')));
      expect(seqs((await engine.history('threats', { sinceSeq: 3, limit: 4 })).events)).toEqual([4, 5, 6, 7]);
      expect(seqs((await engine.history('threats', { sinceSeq: 10 })).events)).toEqual([11, 12]);
      expect(seqs((await engine.history('threats', { limit: 3 })).events)).toEqual([10, 11, 12]);
      const all = await engine.history('threats');
      expect(all.seq).toBe(12);
      expect(all.events).toHaveLength(12);
    });

    it('gives the head alone for a page of no events (a live-only subscribe reads just that)', async () => {
      const engine = await fresh();
      await engine.append(Array.from({ length: 5 }, () => samplePending('threat.new')));
      await engine.append([samplePending('event.raw')]);
      const heads = await engine.heads();
      for (const channel of ['threats', 'events', 'status'] as const) {
        const page = await engine.history(channel, { limit: 0 });
        expect(page).toEqual({ epoch: heads[channel].epoch, seq: heads[channel].seq, events: [] });
      }
      expect((await engine.history('threats', { limit: 0 })).seq).toBe(5);
    });

    it('caps a lossless ring at the size the registry gives', async () => {
      const engine = await fresh();
      const size = ringSize('system');
      await engine.append(Array.from({ length: size * 2 + 3 }, () => samplePending('system.notice')));
      const page = await engine.history('system');
      expect(page.events).toHaveLength(size);
      expect(page.events[0]!.envelope.seq).toBe(size + 4);
      expect(page.events.at(-1)!.envelope.seq).toBe(size * 2 + 3);
    });

    it('reports down after close and rejects appends with NsError unavailable', async () => {
      const engine = await fresh();
      const states: EngineState[] = [];
      engine.onStateChange((s) => states.push(s));
      await engine.close();
      expect(engine.state).toBe('down');
      expect(states).toContain('down');
      const failure = await engine.append([samplePending('threat.new')]).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(NsError);
      expect((failure as NsError).code).toBe('unavailable');
    });
  });
}
