import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, RawWs, stopAllGateways } from '@ns/testkit';
import { SECRET, sign } from './support/tokens.js';

// A token valid for 30 days outlives setTimeout's 2^31-1 ms (24.8 days). Waiting that long is not an
// option, so the test lets the time pass inside the real gateway through the inspector: it records
// the gateway's own long timers, then runs each one as the runtime would when it elapses, with the
// process clock moved forward by the same amount. No hook in the product: the gateway's code and
// timers are its own.

const MAX_TIMER_MS = 2 ** 31 - 1;
const DAY_MS = 86_400_000;

let gw: GatewayUnderTest;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_JWT_SECRET: SECRET }, inspect: true });
  // Record every timer of a day or more the gateway arms from now on.
  await gw.inspector!.evaluate(`(() => {
    globalThis.__nsLongTimers = [];
    const original = globalThis.setTimeout;
    globalThis.setTimeout = function (fn, ms, ...args) {
      const timer = original(fn, ms, ...args);
      if (typeof ms === 'number' && ms >= ${DAY_MS}) globalThis.__nsLongTimers.push({ timer, ms });
      return timer;
    };
    return true;
  })()`);
});
afterAll(stopAllGateways);

/** Runs the recorded long timers now, as if they had elapsed, with the gateway's clock at `clockMs`; returns their delays. */
async function elapseLongTimers(clockMs: number): Promise<number[]> {
  return (await gw.inspector!.evaluate(`(() => {
    const due = globalThis.__nsLongTimers.splice(0);
    const realNow = Date.now;
    const shift = ${clockMs} - realNow();
    Date.now = () => realNow() + shift;
    try {
      for (const { timer } of due) {
        const run = timer._onTimeout;
        clearTimeout(timer);
        if (typeof run === 'function') run.call(timer);
      }
    } finally {
      Date.now = realNow;
    }
    return due.map((d) => d.ms);
  })()`)) as number[];
}

/** The delays of the long timers armed since the last {@link elapseLongTimers}. */
async function pendingLongTimers(): Promise<number[]> {
  return (await gw.inspector!.evaluate('globalThis.__nsLongTimers.map((d) => d.ms)')) as number[];
}

describe('timers longer than 24.8 days', () => {
  it('sends auth_expiring for a 30-day token 30 s before it expires, not when the first 2^31-1 ms step elapses', async () => {
    const exp = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const ws = await RawWs.connect(gw.port, { headers: { authorization: `Bearer ${await sign({ sub: 'u1', roles: ['analyst'], exp })}` } });
    await ws.next((m) => m.type === 'welcome');
    expect((await ws.request({ type: 'ping', id: 'p1' })).type).toBe('pong');

    // The notice and the expiry both wait longer than setTimeout can: each arms the longest step.
    expect(await pendingLongTimers()).toEqual([MAX_TIMER_MS, MAX_TIMER_MS]);
    const started = Date.now();
    await elapseLongTimers(started + MAX_TIMER_MS);
    // After 24.8 days nothing is due yet: both are armed again for the remaining ~5.2 days.
    expect((await ws.request({ type: 'ping', id: 'p2' })).type).toBe('pong');
    expect(ws.messages.filter((m) => m.type === 'auth_expiring')).toEqual([]);
    const remaining = await pendingLongTimers();
    expect(remaining).toHaveLength(2);
    for (const ms of remaining) expect(ms).toBeGreaterThan(5 * DAY_MS);

    // 20 s before expiry the notice is due, and the connection is still open.
    await elapseLongTimers(exp * 1000 - 20_000);
    expect(await ws.next((m) => m.type === 'auth_expiring')).toEqual({ type: 'auth_expiring', expires_at: exp });
    expect((await ws.request({ type: 'ping', id: 'p3' })).type).toBe('pong');
    ws.destroy();
  });
});
