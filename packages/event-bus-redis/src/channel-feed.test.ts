import type { EventEnvelope } from '@ns/contracts';
import type { StoredEvent } from '@ns/event-bus';
import { describe, expect, it } from 'vitest';
import { ChannelFeed, type FeedEntry, type FeedLoss, type FeedRead } from './channel-feed.js';

function entry(epoch: string, seq: number): FeedEntry {
  return {
    epoch,
    seq,
    load: () => ({ envelope: { epoch, seq } as EventEnvelope }),
  };
}

/** A channel's stored history as the feed's `read` sees it (stands in for Redis). */
class Store {
  epoch = 'e1';
  seq = 0;
  retained = new Map<string, number[]>();
  reads: [string | undefined, number, number | undefined][] = [];
  fail: Error | undefined;
  pendingReads: (() => void)[] = [];
  hold = false;

  add(seq: number, epoch = this.epoch): FeedEntry {
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.seq = 0;
    }
    this.seq = seq;
    const list = this.retained.get(epoch) ?? [];
    list.push(seq);
    this.retained.set(epoch, list);
    return entry(epoch, seq);
  }

  read = (epoch: string | undefined, after: number, until: number | undefined): Promise<FeedRead> => {
    this.reads.push([epoch, after, until]);
    const answer = (): FeedRead => {
      if (this.fail !== undefined) throw this.fail;
      const same = epoch === this.epoch;
      const from = same ? after : 0;
      const to = until ?? this.seq;
      const seqs = (this.retained.get(this.epoch) ?? []).filter((s) => s > from && s <= to);
      return { epoch: this.epoch, seq: this.seq, entries: seqs.map((s) => entry(this.epoch, s)) };
    };
    if (!this.hold) return Promise.resolve().then(answer);
    return new Promise((resolve, reject) =>
      this.pendingReads.push(() => {
        try {
          resolve(answer());
        } catch (err) {
          reject(err);
        }
      }),
    );
  };
}

function setup(options: { repairable?: boolean } = {}) {
  const store = new Store();
  const delivered: string[] = [];
  const errors: unknown[] = [];
  const bad: number[] = [];
  const losses: (FeedLoss & { deliveredBefore: number })[] = [];
  const feed = new ChannelFeed({
    repairable: options.repairable ?? true,
    read: store.read,
    deliver: (e: StoredEvent) => delivered.push(`${e.envelope.epoch}:${e.envelope.seq}`),
    onReadError: (err) => errors.push(err),
    onBadEntry: (e) => bad.push(e.seq),
    onLoss: (loss) => losses.push({ ...loss, deliveredBefore: delivered.length }),
  });
  return { store, feed, delivered, errors, bad, losses };
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ChannelFeed', () => {
  it('adopts the head on the first sync without delivering history', async () => {
    const { store, feed, delivered } = setup();
    store.add(1);
    store.add(2);
    await feed.sync();
    expect(delivered).toEqual([]);
    expect(feed.position).toEqual({ epoch: 'e1', seq: 2 });
  });

  it('holds entries offered before the first sync, then delivers only those after the head', async () => {
    const { store, feed, delivered } = setup();
    const e1 = store.add(1);
    // e2 was published after the sync's read took the head (1).
    feed.offer([e1, entry('e1', 2)]);
    expect(feed.pending).toBe(2);
    await feed.sync();
    expect(delivered).toEqual(['e1:2']);
  });

  it('delivers in seq order and drops repeats from a second source', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    const e1 = store.add(1);
    const e2 = store.add(2);
    feed.offer([e1, e2]);
    feed.offer([e1]);
    feed.offer([e2, store.add(3)]);
    expect(delivered).toEqual(['e1:1', 'e1:2', 'e1:3']);
    expect(store.reads).toHaveLength(1);
  });

  it('reads a gap at once (pub/sub is ordered, so a jump means a missed publish) and drops the late copy', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    const e1 = store.add(1);
    feed.offer([store.add(2)]);
    expect(delivered).toEqual([]);
    await feed.delivered('e1', 2);
    feed.offer([e1]);
    expect(delivered).toEqual(['e1:1', 'e1:2']);
    expect(store.reads[1]).toEqual(['e1', 0, 1]);
  });

  it('releases waiters when interrupted, and again waits after the next sync', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    store.add(1);
    const waiting = feed.delivered('e1', 1);
    feed.interrupt();
    await waiting;
    await feed.delivered('e1', 5);
    await feed.sync();
    expect(delivered).toEqual(['e1:1']);
    let settled = false;
    void feed.delivered('e1', 2).then(() => (settled = true));
    await macrotask();
    expect(settled).toBe(false);
    feed.offer([store.add(2)]);
    await macrotask();
    expect(settled).toBe(true);
  });

  it('reads a gap and delivers it first', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    store.add(1);
    store.add(2);
    const e3 = store.add(3);
    feed.offer([e3]);
    await feed.delivered('e1', 3);
    expect(delivered).toEqual(['e1:1', 'e1:2', 'e1:3']);
    expect(store.reads[1]).toEqual(['e1', 0, 2]);
  });

  it('reports a gap that history no longer holds before delivering past it, reading it only once', async () => {
    const { store, feed, delivered, losses } = setup();
    await feed.sync();
    store.add(1);
    store.retained.set('e1', []);
    const e3 = store.add(3);
    feed.offer([e3]);
    await feed.delivered('e1', 3);
    feed.offer([store.add(4)]);
    expect(delivered).toEqual(['e1:3', 'e1:4']);
    expect(store.reads).toHaveLength(2);
    expect(losses).toEqual([{ epoch: 'e1', fromSeq: 1, toSeq: 2, deliveredBefore: 0 }]);
    expect(feed.repairs).toEqual({ reads: 1, entries: 0, lost: 2 });
  });

  it('skips gaps without reading when the channel keeps no history', async () => {
    const { store, feed, delivered } = setup({ repairable: false });
    await feed.sync();
    store.add(1);
    feed.offer([store.add(2)]);
    expect(delivered).toEqual(['e1:2']);
    expect(store.reads).toHaveLength(1);
  });

  it('switches to a new epoch seen live, reads its start, and drops stragglers of the old one', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    feed.offer([store.add(1)]);
    store.add(1, 'e2');
    const n2 = store.add(2, 'e2');
    feed.offer([n2]);
    await feed.delivered('e2', 2);
    feed.offer([entry('e1', 2), store.add(3, 'e2')]);
    expect(delivered).toEqual(['e1:1', 'e2:1', 'e2:2', 'e2:3']);
    expect(await Promise.race([feed.delivered('e1', 99).then(() => 'settled'), macrotask().then(() => 'waiting')])).toBe('settled');
  });

  it('stalls when a read fails, releases waiters, and catches up on the next sync', async () => {
    const { store, feed, delivered, errors } = setup();
    await feed.sync();
    store.add(1);
    const e2 = store.add(2);
    store.fail = new Error('connection lost');
    feed.offer([e2]);
    await feed.delivered('e1', 2); // released by the stall, not by delivery
    expect(delivered).toEqual([]);
    expect(errors).toHaveLength(1);
    store.fail = undefined;
    store.add(3);
    await feed.sync();
    expect(delivered).toEqual(['e1:1', 'e1:2', 'e1:3']);
  });

  it('rejects a sync whose read fails and stays positioned for the next one', async () => {
    const { store, feed } = setup();
    store.fail = new Error('down');
    await expect(feed.sync()).rejects.toThrow('down');
    store.fail = undefined;
    store.add(1);
    await feed.sync();
    expect(feed.position).toEqual({ epoch: 'e1', seq: 1 });
  });

  it('does not stall on a read that fails after a newer sync was requested', async () => {
    const { store, feed, delivered, errors } = setup();
    await feed.sync();
    store.add(1);
    store.hold = true;
    feed.offer([store.add(2)]);
    await macrotask();
    await macrotask();
    expect(store.pendingReads).toHaveLength(1);
    const synced = feed.sync();
    store.fail = new Error('old connection');
    store.pendingReads.shift()?.();
    store.fail = undefined;
    await macrotask();
    store.pendingReads.shift()?.();
    await synced;
    expect(delivered).toEqual(['e1:1', 'e1:2']);
    expect(errors).toEqual([]);
  });

  it('delivers a new epoch found by a sync after a reconnect', async () => {
    const { store, feed, delivered, losses } = setup();
    await feed.sync();
    feed.offer([store.add(1)]);
    store.add(1, 'e2');
    store.add(2, 'e2');
    await feed.sync();
    expect(delivered).toEqual(['e1:1', 'e2:1', 'e2:2']);
    expect(losses).toEqual([]);
  });

  it('reports the trimmed start of a new epoch found by a sync', async () => {
    const { store, feed, delivered, losses } = setup();
    await feed.sync();
    store.add(1, 'e2');
    store.retained.set('e2', []);
    store.add(2, 'e2');
    await feed.sync();
    expect(delivered).toEqual(['e2:2']);
    expect(losses).toEqual([{ epoch: 'e2', fromSeq: 1, toSeq: 1, deliveredBefore: 0 }]);
  });

  it('reports nothing lost when a sync finds nothing new', async () => {
    const { store, feed, losses } = setup();
    store.add(1);
    await feed.sync();
    await feed.sync();
    expect(losses).toEqual([]);
  });

  it('skips an entry it cannot read and reports it', async () => {
    const { store, feed, delivered, bad } = setup();
    await feed.sync();
    store.add(1);
    feed.offer([{ epoch: 'e1', seq: 1, load: () => undefined }, store.add(2)]);
    expect(delivered).toEqual(['e1:2']);
    expect(bad).toEqual([1]);
  });

  it('releases waiters and ignores offers once closed', async () => {
    const { store, feed, delivered } = setup();
    await feed.sync();
    store.add(1);
    feed.offer([store.add(2)]);
    const waiting = feed.delivered('e1', 2);
    feed.close();
    await waiting;
    feed.offer([store.add(3)]);
    await feed.sync();
    expect(delivered).toEqual([]);
  });

  it('resolves delivered() at once for what was already delivered', async () => {
    const { store, feed } = setup();
    await feed.sync();
    feed.offer([store.add(1)]);
    await feed.delivered('e1', 1);
    expect(feed.position.seq).toBe(1);
  });
});
