import { describe, expect, it } from 'vitest';
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

  it('runs one timer that it can stop', async () => {
    const a = target(Date.now());
    const pinged = new Promise<void>((resolve) => {
      a.ping = () => {
        a.pings++;
        resolve();
      };
    });
    const hb = new Heartbeat({ intervalMs: 10, pongTimeoutMs: 10_000, targets: () => [a] });
    hb.start();
    hb.start();
    await pinged;
    hb.stop();
    hb.stop();
    expect(a.pings).toBeGreaterThan(0);
  });

  it('rejects non-positive intervals', () => {
    expect(() => new Heartbeat({ intervalMs: 0, targets: () => [] })).toThrow(RangeError);
  });
});
