import type { ChannelName, DeliveryClass } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { admitOverCap } from './backpressure.js';
import type { OutboundFrame } from './frame-builder.js';
import { OutboundQueue } from './outbound-queue.js';

const frame = (channel: ChannelName | null, delivery: DeliveryClass | 'control', size: number, key?: string): OutboundFrame => ({
  bytes: Buffer.alloc(size),
  channel,
  delivery,
  key,
});

function setup(...frames: OutboundFrame[]) {
  const queue = new OutboundQueue();
  for (const f of frames) queue.push(f);
  const dropped: OutboundFrame[] = [];
  return { queue, dropped, onDrop: (f: OutboundFrame) => dropped.push(f) };
}

describe('admitOverCap', () => {
  it('drops a new ephemeral frame first', () => {
    const { queue, dropped, onDrop } = setup(frame('threats', 'lossless', 90));
    const f = frame('events', 'ephemeral', 20);
    expect(admitOverCap(queue, f, 0, 100, onDrop)).toBe('dropped');
    expect(dropped).toEqual([f]);
    expect(queue.length).toBe(1);
  });

  it('replaces the pending value of the same channel and key with the newer one', () => {
    const old = frame('status', 'latest', 30, 'db');
    const other = frame('status', 'latest', 30, 'api');
    const { queue, dropped, onDrop } = setup(old, other, frame('threats', 'lossless', 40));
    const newer = frame('status', 'latest', 30, 'db');
    expect(admitOverCap(queue, newer, 0, 100, onDrop)).toBe('queued');
    expect(dropped).toEqual([old]);
    // The newer value goes to the end, so seq order holds for the channel.
    expect(queue.take()).toEqual([other, expect.anything(), newer]);
  });

  it('makes room for lossless frames by dropping pending ephemeral ones, oldest first', () => {
    const e1 = frame('events', 'ephemeral', 30);
    const e2 = frame('events', 'ephemeral', 30);
    const { queue, dropped, onDrop } = setup(e1, e2, frame('threats', 'lossless', 30));
    expect(admitOverCap(queue, frame('alerts', 'lossless', 30), 0, 100, onDrop)).toBe('queued');
    expect(dropped).toEqual([e1]);
    expect(queue.bytes).toBe(90);
  });

  it('overflows when a lossless frame still does not fit', () => {
    const { queue, onDrop } = setup(frame('threats', 'lossless', 80));
    expect(admitOverCap(queue, frame('threats', 'lossless', 30), 0, 100, onDrop)).toBe('overflow');
  });

  it('counts socket-buffered bytes against the cap', () => {
    const { queue, onDrop } = setup();
    expect(admitOverCap(queue, frame('system', 'lossless', 30), 80, 100, onDrop)).toBe('overflow');
    expect(admitOverCap(queue, frame('system', 'lossless', 30), 70, 100, onDrop)).toBe('queued');
  });

  it('overflows on a latest-per-key frame that has no predecessor and does not fit', () => {
    const { queue, onDrop } = setup(frame('threats', 'lossless', 90));
    expect(admitOverCap(queue, frame('metrics', 'latest', 30, 'x'), 0, 100, onDrop)).toBe('overflow');
  });

  it('overflows on a control reply that does not fit', () => {
    const { queue, onDrop } = setup(frame('threats', 'lossless', 90));
    expect(admitOverCap(queue, frame(null, 'control', 30), 0, 100, onDrop)).toBe('overflow');
  });

  it('accepts a larger replacement only when it fits', () => {
    const { queue, dropped, onDrop } = setup(frame('status', 'latest', 10, 'k'), frame('threats', 'lossless', 85));
    expect(admitOverCap(queue, frame('status', 'latest', 40, 'k'), 0, 100, onDrop)).toBe('overflow');
    expect(dropped).toHaveLength(1);
  });
});

describe('admitOverCap boundaries', () => {
  it('replaces a latest-per-key value by one of the same size even with no room left', () => {
    // 30 + 60 queued + 20 in the socket: already over 100, yet swapping 30 bytes for 30 cannot grow it.
    const old = frame('status', 'latest', 30, 'db');
    const lossless = frame('threats', 'lossless', 60);
    const { queue, dropped, onDrop } = setup(old, lossless);
    const newer = frame('status', 'latest', 30, 'db');
    expect(admitOverCap(queue, newer, 20, 100, onDrop)).toBe('queued');
    expect(dropped).toEqual([old]);
    expect(queue.take()).toEqual([lossless, newer]);
  });

  it('replaces by a smaller value with no room left, and by a larger one only within the cap', () => {
    const { queue, onDrop } = setup(frame('status', 'latest', 30, 'db'), frame('threats', 'lossless', 60));
    expect(admitOverCap(queue, frame('status', 'latest', 29, 'db'), 20, 100, onDrop)).toBe('queued');
    expect(admitOverCap(queue, frame('status', 'latest', 40, 'db'), 0, 100, onDrop)).toBe('queued');
    expect(queue.bytes).toBe(100);
    expect(admitOverCap(queue, frame('status', 'latest', 41, 'db'), 0, 100, onDrop)).toBe('overflow');
  });

  it('drops just enough pending ephemeral frames, counting socket-buffered bytes', () => {
    // 60 queued + 30 buffered + 30 new = 120: 20 bytes over, so one 30-byte ephemeral frame goes.
    const e1 = frame('events', 'ephemeral', 30);
    const e2 = frame('events', 'ephemeral', 30);
    const { queue, dropped, onDrop } = setup(e1, e2);
    const f = frame('alerts', 'lossless', 30);
    expect(admitOverCap(queue, f, 30, 100, onDrop)).toBe('queued');
    expect(dropped).toEqual([e1]);
    expect(queue.take()).toEqual([e2, f]);
  });

  it('drops every pending ephemeral frame when the socket holds most of the cap', () => {
    const e1 = frame('events', 'ephemeral', 30);
    const e2 = frame('events', 'ephemeral', 30);
    const { queue, dropped, onDrop } = setup(e1, e2);
    expect(admitOverCap(queue, frame('alerts', 'lossless', 30), 70, 100, onDrop)).toBe('queued');
    expect(dropped).toEqual([e1, e2]);
    expect(queue.bytes).toBe(30);
  });

  it('admits a frame that fills the cap exactly and overflows one byte over', () => {
    // 50 queued + 20 buffered + 30 new = 100.
    const { queue, onDrop } = setup(frame('threats', 'lossless', 50));
    expect(admitOverCap(queue, frame('threats', 'lossless', 30), 20, 99, onDrop)).toBe('overflow');
    expect(queue.bytes).toBe(50);
    expect(admitOverCap(queue, frame('threats', 'lossless', 30), 20, 100, onDrop)).toBe('queued');
    expect(queue.bytes).toBe(80);
  });

  it('does not treat a keyless latest frame or a control reply as a replacement', () => {
    const pending = frame('status', 'latest', 30, 'db');
    const { queue, dropped, onDrop } = setup(pending, frame('threats', 'lossless', 60));
    expect(admitOverCap(queue, frame('status', 'latest', 30), 20, 100, onDrop)).toBe('overflow');
    expect(admitOverCap(queue, frame(null, 'latest', 30, 'db'), 20, 100, onDrop)).toBe('overflow');
    expect(dropped).toEqual([]);
    expect(queue.length).toBe(2);
  });
});

describe('admitOverCap: only a latest-per-key frame with a channel and a key replaces', () => {
  // The queue's removeLatest matches on channel and key alone, so admitOverCap must not ask it for
  // anything but a latest frame that has both: each case below has a pending frame it would match.
  it('a lossless frame carrying the channel and key of a pending value overflows and leaves the value', () => {
    const pending = frame('status', 'latest', 30, 'db');
    const { queue, dropped, onDrop } = setup(pending, frame('threats', 'lossless', 60));
    expect(admitOverCap(queue, frame('status', 'lossless', 30, 'db'), 20, 100, onDrop)).toBe('overflow');
    expect(dropped).toEqual([]);
    expect(queue.length).toBe(2);
    expect(queue.bytes).toBe(90);
  });

  it('a channel-less latest frame overflows even when a channel-less frame with its key is pending', () => {
    const pending = frame(null, 'latest', 30, 'db');
    const { queue, dropped, onDrop } = setup(pending, frame('threats', 'lossless', 60));
    expect(admitOverCap(queue, frame(null, 'latest', 30, 'db'), 20, 100, onDrop)).toBe('overflow');
    expect(dropped).toEqual([]);
    expect(queue.length).toBe(2);
  });

  it('a keyless latest frame overflows even when a keyless frame of its channel is pending', () => {
    const pending = frame('status', 'latest', 30);
    const { queue, dropped, onDrop } = setup(pending, frame('threats', 'lossless', 60));
    expect(admitOverCap(queue, frame('status', 'latest', 30), 20, 100, onDrop)).toBe('overflow');
    expect(dropped).toEqual([]);
    expect(queue.length).toBe(2);
  });
});

// Mutant left alive (Stryker, issue 22): the `if (!fits())` guard around removeEphemeral → true. When
// the frame already fits, the excess it passes (`queue.bytes + bufferedBytes + size - maxBytes`) is 0 or
// less, and removeEphemeral stops before removing anything once `freed` (0) is not below it, so no frame
// is dropped either way; the guard only saves the call. ('drops just enough pending ephemeral frames'
// pins the amount when it is positive.)

describe('OutboundQueue', () => {
  it('keeps order, bytes and length through removals', () => {
    const a = frame('events', 'ephemeral', 5);
    const b = frame('status', 'latest', 7, 'k');
    const c = frame('threats', 'lossless', 11);
    const { queue } = setup(a, b, c);
    expect(queue.removeLatest('status', 'other')).toBeUndefined();
    expect(queue.removeLatest('status', 'k')).toBe(b);
    expect(queue.length).toBe(2);
    expect(queue.bytes).toBe(16);
    expect(queue.take()).toEqual([a, c]);
    expect(queue.length).toBe(0);
    expect(queue.take()).toEqual([]);
  });

  it('clears everything', () => {
    const { queue } = setup(frame('threats', 'lossless', 3));
    queue.clear();
    expect(queue.bytes).toBe(0);
    expect(queue.length).toBe(0);
  });
});
