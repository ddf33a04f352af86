import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat, type HeartbeatTarget } from './heartbeat.js';

function target(lastPingAt = 0) {
  const t: HeartbeatTarget & { pings: number; terminated: boolean } = {
    lastPingAt,
    awaitingPong: false,
    pings: 0,
    terminated: false,
    ping: () => void t.pings++,
    terminateUnresponsive: () => void (t.terminated = true),
  };
  return t;
}

describe('Heartbeat', () => {
  it('pings connections whose last ping is an interval old and terminates those that never answered', () => {
    let now = 0;
    const a = target();
    const b = target();
    const hb = new Heartbeat({ intervalMs: 100, pongTimeoutMs: 50, targets: () => [a, b], now: () => now });
    expect(hb.sweepMs).toBe(25);
    now = 99;
    hb.sweep();
    expect(a.pings).toBe(0);
    now = 100;
    hb.sweep();
    expect([a.pings, b.pings]).toEqual([1, 1]);
    // a answers, b does not.
    a.awaitingPong = false;
    now = 149;
    expect(hb.sweep()).toBe(0);
    // a answered 49 ms after its ping: not due again until 100 ms after it.
    expect(a.pings).toBe(1);
    now = 150;
    expect(hb.sweep()).toBe(1);
    expect([a.terminated, b.terminated]).toEqual([false, true]);
    now = 200;
    hb.sweep();
    expect(a.pings).toBe(2);
  });

  it('survives a target that throws', () => {
    const bad = target();
    bad.ping = () => {
      throw new Error('dead socket');
    };
    const good = target();
    const hb = new Heartbeat({ intervalMs: 1, pongTimeoutMs: 1, targets: () => [bad, good], now: () => 10 });
    hb.sweep();
    expect(good.pings).toBe(1);
  });

  it('pings through a real timer once started, and only once while the pong is outstanding', async () => {
    // The fake-timer tests below pin the schedule; this one pins that start() arms a real timer.
    const a = target(Date.now());
    const pinged = new Promise<void>((resolve) => {
      a.ping = () => {
        a.pings++;
        resolve();
      };
    });
    const hb = new Heartbeat({ intervalMs: 10, pongTimeoutMs: 600_000, targets: () => [a] });
    hb.start();
    try {
      await pinged;
      expect(a.pings).toBe(1);
      expect(a.awaitingPong).toBe(true);
    } finally {
      hb.stop();
    }
  });

  it('rejects non-positive intervals', () => {
    expect(() => new Heartbeat({ intervalMs: 0, targets: () => [] })).toThrow(RangeError);
  });

  describe('timer', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A heartbeat over no targets that counts its sweeps. */
    function counting(intervalMs: number, pongTimeoutMs: number) {
      let sweeps = 0;
      const hb = new Heartbeat({
        intervalMs,
        pongTimeoutMs,
        targets: () => {
          sweeps++;
          return [];
        },
      });
      return { hb, sweeps: () => sweeps };
    }

    it('sweeps once per half of the shorter period, with one timer however often it is started', () => {
      vi.useFakeTimers();
      const { hb, sweeps } = counting(100, 60);
      expect(hb.sweepMs).toBe(30);
      hb.start();
      hb.start();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(29);
      expect(sweeps()).toBe(0);
      vi.advanceTimersByTime(1);
      expect(sweeps()).toBe(1);
      vi.advanceTimersByTime(60);
      expect(sweeps()).toBe(3);
      hb.stop();
    });

    it('stops sweeping when stopped (stop before start or twice is harmless), and starts again afterwards', () => {
      vi.useFakeTimers();
      const { hb, sweeps } = counting(20, 20);
      hb.stop();
      hb.start();
      vi.advanceTimersByTime(10);
      expect(sweeps()).toBe(1);
      hb.stop();
      hb.stop();
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(100);
      expect(sweeps()).toBe(1);
      hb.start();
      vi.advanceTimersByTime(10);
      expect(sweeps()).toBe(2);
      hb.stop();
    });

    it('sweeps at least every millisecond for tiny periods', () => {
      expect(new Heartbeat({ intervalMs: 1, pongTimeoutMs: 1, targets: () => [] }).sweepMs).toBe(1);
      expect(new Heartbeat({ intervalMs: 3, pongTimeoutMs: 1000, targets: () => [] }).sweepMs).toBe(1);
      expect(new Heartbeat({ intervalMs: 1000, pongTimeoutMs: 301, targets: () => [] }).sweepMs).toBe(150);
    });

    it('does not keep the process alive', () => {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const before = timers();
      const hb = new Heartbeat({ targets: () => [] });
      hb.start();
      expect(timers()).toBe(before);
      hb.stop();
    });
  });

  it('uses the documented defaults', () => {
    const hb = new Heartbeat({ targets: () => [] });
    expect([hb.intervalMs, hb.pongTimeoutMs]).toEqual([25_000, 10_000]);
  });

  it.each([
    [0, 1],
    [1, 0],
    [Number.NaN, 1],
    [1, Number.NaN],
  ])('rejects intervalMs %s with pongTimeoutMs %s', (intervalMs, pongTimeoutMs) => {
    expect(() => new Heartbeat({ intervalMs, pongTimeoutMs, targets: () => [] })).toThrow(new RangeError('heartbeat intervals must be > 0'));
  });

  // Mutant left alive (Stryker, issue 22): stop()'s `this.#timer !== undefined` guard → true. It then
  // calls clearInterval(undefined), which Node documents as a no-op, so a stop() without a running
  // timer behaves the same; the guard only saves the call.
});
