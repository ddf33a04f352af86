import { NsError } from '@ns/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

describe('MicroBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('flushes synchronously when maxEvents is reached', () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number>({ maxEvents: 3, maxDelayMs: 1000 }, (batch) => batches.push(batch));
    for (let i = 1; i <= 7; i++) b.push(i);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(b.pending).toBe(1);
    b.discard();
  });

  it('flushes a partial batch maxDelayMs after its first item', () => {
    vi.useFakeTimers();
    const batches: number[][] = [];
    const b = new MicroBatcher<number>({ maxEvents: 100, maxDelayMs: 20 }, (batch) => batches.push(batch));
    b.push(1);
    vi.advanceTimersByTime(10);
    b.push(2);
    vi.advanceTimersByTime(9);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[1, 2]]);
    b.push(3);
    vi.advanceTimersByTime(20);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('starts a new batch for items pushed by the sink while flushing', () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number>({ maxEvents: 2 }, (batch) => {
      batches.push(batch);
      if (batch[0] === 1) b.push(99);
    });
    b.push(1);
    b.push(2);
    b.flush();
    expect(batches).toEqual([[1, 2], [99]]);
  });

  it('discards pending items without delivering them', () => {
    vi.useFakeTimers();
    const sink = vi.fn();
    const b = new MicroBatcher<number>({}, sink);
    b.push(1);
    b.push(2);
    expect(b.discard()).toEqual([1, 2]);
    vi.runAllTimers();
    expect(sink).not.toHaveBeenCalled();
    b.flush();
    expect(sink).not.toHaveBeenCalled();
  });

  it('defaults to 100 events / 10 ms', () => {
    const b = new MicroBatcher<number>({}, () => {});
    expect([b.maxEvents, b.maxDelayMs]).toEqual([100, 10]);
  });

  it.each([{ maxEvents: 0 }, { maxEvents: 2.5 }, { maxDelayMs: -1 }, { maxDelayMs: Infinity }])('rejects %j', (options) => {
    expect(() => new MicroBatcher(options, () => {})).toThrow(NsError);
  });
});
