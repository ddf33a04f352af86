import { performance } from 'node:perf_hooks';

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable between processes on one host:
 * `performance.timeOrigin` is taken from the system clock when the process starts and `now()` is
 * monotonic from there. The publisher stamps events with it; samplers in other processes subtract.
 */
export const clockMs = (): number => performance.timeOrigin + performance.now();
