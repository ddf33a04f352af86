import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameCoalescer, QUIET_WINDOWS } from './frame-coalescer.js';

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const until = async (done: () => boolean) => {
  for (let i = 0; i < 400 && !done(); i++) await sleep(5);
};

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

  it('after a flush that took longer than the window, the next window lasts as long as that flush, even after a quiet spell; fast flushes end it', async () => {
    const coalescer = new FrameCoalescer(2);
    const spinMs = 30;
    const slow = { flush: () => spin(spinMs) };
    coalescer.schedule(slow); // quiet: written on the next turn
    await nextTurn();
    await sleep(QUIET_WINDOWS * 2 + 5); // quiet again: without the slow flush this would be written at once
    const t0 = performance.now();
    let flushedAt: number | undefined;
    coalescer.schedule({ flush: () => void (flushedAt = performance.now()) });
    await nextTurn();
    expect(flushedAt).toBeUndefined();
    await until(() => flushedAt !== undefined);
    // Timers never fire early (1 ms for libuv's rounding).
    expect((flushedAt as number) - t0).toBeGreaterThanOrEqual(spinMs - 1);
    // That flush was fast: after a quiet spell the next window ends on the next turn again.
    await sleep(QUIET_WINDOWS * 2 + 5);
    let fast = 0;
    coalescer.schedule({ flush: () => void fast++ });
    await nextTurn();
    expect(fast).toBe(1);
  });

  it('with a 0 ms window flushes once per event-loop turn, also after a slow flush', async () => {
    const slowWindow = new FrameCoalescer(0);
    slowWindow.schedule({ flush: () => spin(5) });
    await nextTurn();
    let after = 0;
    slowWindow.schedule({ flush: () => void after++ });
    await nextTurn();
    expect(after).toBe(1);

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
