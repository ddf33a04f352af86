import { EVENT_TYPES, selects, type FilterMode } from '../load/threat-events.js';
import type { RunFigures } from '../report/results.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `count` until it reaches `expected`, stops moving for `stallMs`, or `deadlineMs` passes.
 * Bounded by design: a server that falls behind shows up as loss, not as a bench that never ends.
 */
export async function waitForCount(count: () => Promise<number>, expected: number, o: { stallMs: number; deadlineMs: number }): Promise<number> {
  const deadline = Date.now() + o.deadlineMs;
  let last = -1;
  let lastMoved = Date.now();
  for (;;) {
    const n = await count();
    if (n >= expected) return n;
    if (n !== last) {
      last = n;
      lastMoved = Date.now();
    }
    if (Date.now() - lastMoved > o.stallMs || Date.now() > deadline) return n;
    await sleep(100);
  }
}

/**
 * Deliveries expected when subscribers `firstIndex` … `firstIndex + subscribers - 1` receive events
 * `firstEvent` … `firstEvent + events - 1`: all of them, or (`types`, `distinct`) those whose event type
 * (`n % 10`) matches the subscriber's (`i % 10`).
 */
export function expectedDeliveries(o: { firstIndex: number; subscribers: number; firstEvent: number; events: number; filter: FilterMode }): number {
  if (o.filter === 'none' || o.filter === 'identical') return o.subscribers * o.events;
  const k = EVENT_TYPES.length;
  const perType = new Array<number>(k).fill(0);
  for (let n = o.firstEvent; n < o.firstEvent + o.events; n++) perType[n % k]! += 1;
  let total = 0;
  // Whether subscriber i takes event n depends on n only through n % 10.
  for (let i = o.firstIndex; i < o.firstIndex + o.subscribers; i++) for (let r = 0; r < k; r++) if (selects(o.filter, i, r)) total += perType[r] as number;
  return total;
}

/** A RunFigures with every figure absent, to fill in. */
export function emptyFigures(base: Pick<RunFigures, 'scenario' | 'kind' | 'title' | 'server' | 'subscribers'>): RunFigures {
  return {
    ...base,
    rate: null,
    events: null,
    delivered: 0,
    expected: 0,
    lossPct: 0,
    deliveriesPerS: null,
    cpuUsPerDelivery: null,
    cpuCores: null,
    latencyMs: null,
    rssPerConnKB: null,
    rssMB: null,
    loadgenCpuUsPerDelivery: null,
    extra: {},
    errors: [],
    wallS: 0,
  };
}

export const lossPct = (delivered: number, expected: number) => (expected === 0 ? 0 : Math.max(0, ((expected - delivered) / expected) * 100));

/** Rounds for the JSON (3 significant digits is plenty for a benchmark). */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const p = 10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Math.round(x * p) / p;
}
