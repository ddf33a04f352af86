import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameCoalescer, QUIET_WINDOWS } from './frame-coalescer.js';

const target = () => {
  const t = { flushes: 0, flush: () => void t.flushes++ };
  return t;
};

describe('FrameCoalescer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

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

  it('writes at once after a quiet spell, and waits the window out while windows follow each other', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    const coalescer = new FrameCoalescer(10);
    const a = target();
    // Quiet (nothing before): the window ends on the next turn.
    coalescer.schedule(a);
    vi.advanceTimersByTime(1);
    expect(a.flushes).toBe(1);
    // 4 ms later, within QUIET_WINDOWS windows of the last one: this window lasts its 10 ms.
    vi.advanceTimersByTime(4);
    coalescer.schedule(a);
    vi.advanceTimersByTime(9);
    expect(a.flushes).toBe(1);
    vi.advanceTimersByTime(1);
    expect(a.flushes).toBe(2);
    // Quiet again for QUIET_WINDOWS windows: at once.
    vi.advanceTimersByTime(QUIET_WINDOWS * 10);
    coalescer.schedule(a);
    vi.advanceTimersByTime(1);
    expect(a.flushes).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
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
