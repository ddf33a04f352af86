import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setTimerAt } from './long-timer.js';

const DAY = 86_400_000;

describe('setTimerAt', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits past the 24.8-day setTimeout limit in steps and fires at the time asked', () => {
    const fn = vi.fn();
    const at = Date.now() + 30 * DAY;
    setTimerAt(at, fn);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(at - Date.now() - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires 100 days ahead only at the end, and never once cleared', () => {
    const fn = vi.fn();
    const cleared = vi.fn();
    setTimerAt(Date.now() + 100 * DAY, fn);
    setTimerAt(Date.now() + 100 * DAY, cleared).clear();
    vi.advanceTimersByTime(100 * DAY - 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(cleared).not.toHaveBeenCalled();
  });

  it('runs a time in the past on the next turn, not synchronously', () => {
    const fn = vi.fn();
    setTimerAt(Date.now() - 1000, fn);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
