import { describe, expect, it } from 'vitest';
import { FrameCoalescer } from './frame-coalescer.js';

const target = () => {
  const t = { flushes: 0, flush: () => void t.flushes++ };
  return t;
};

describe('FrameCoalescer', () => {
  it('flushes every scheduled target once when the window ends', async () => {
    const coalescer = new FrameCoalescer(5);
    const a = target();
    const b = target();
    coalescer.schedule(a);
    coalescer.schedule(b);
    expect(coalescer.pending).toBe(2);
    await new Promise<void>((resolve) => coalescer.schedule({ flush: resolve }));
    expect([a.flushes, b.flushes]).toEqual([1, 1]);
    expect(coalescer.pending).toBe(0);
  });

  it('with a 0 ms window flushes once per event-loop turn', async () => {
    const coalescer = new FrameCoalescer(0);
    const a = target();
    coalescer.schedule(a);
    expect(a.flushes).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.flushes).toBe(1);
  });

  it('keeps flushing the others when one target throws', () => {
    const coalescer = new FrameCoalescer(1_000);
    const ok = target();
    coalescer.schedule({
      flush: () => {
        throw new Error('socket gone');
      },
    });
    coalescer.schedule(ok);
    coalescer.close();
    expect(ok.flushes).toBe(1);
  });

  it('flushes on close and cancels the window timer', () => {
    for (const delay of [0, 1_000]) {
      const coalescer = new FrameCoalescer(delay);
      const a = target();
      coalescer.schedule(a);
      coalescer.close();
      expect(a.flushes).toBe(1);
    }
  });

  it('rejects a negative window', () => {
    expect(() => new FrameCoalescer(-1)).toThrow(RangeError);
  });
});
