import { LatencySamplers } from '../load/latency-samplers.js';
import { publishPaced } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscriber-pool.js';
import type { FilterMode } from '../load/threat-events.js';
import { clockMs } from '../measure/clock.js';
import { percentiles } from '../measure/percentiles.js';
import { readTotals, runQueueWaitNs } from '../measure/proc-stat.js';
import { launchServer } from '../servers/launch.js';
import { PROTOCOL_OF, type ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from '../report/results.js';
import { emptyFigures, expectedDeliveries, lossPct, round, sleep, waitForCount } from './run-support.js';

/** Parameters of a fan-out run (scenarios a and b). */
export interface FanoutSpec {
  scenario: string;
  title: string;
  subscribers: number;
  /** Offered events/s. */
  rate: number;
  /** Events in the measured window. */
  events: number;
  /** The subscribers' filters (scenario b: anything but `none`). */
  filter: FilterMode;
  /** Real, parsing clients among the subscribers. */
  samplers: number;
  /** Untimed events first (JIT, keep-alive pool). */
  warmupEvents: number;
  /** How long to wait for stragglers after the last publish. */
  drainDeadlineMs: number;
  sourceAddresses: number;
}

/**
 * Fan-out: `subscribers` subscribed to `threats` (raw counting sockets plus `samplers` real clients),
 * `events` events published at `rate` through `POST /v1/publish`. Server CPU is read from /proc of
 * the server's processes over the window from the first publish to the last delivery.
 */
export async function runFanout(kind: ServerKind, spec: FanoutSpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: spec.filter === 'none' ? 'fanout' : 'filtered', title: spec.title, server: kind, subscribers: spec.subscribers });
  fig.rate = spec.rate;
  fig.events = spec.events;
  const wallStart = clockMs();
  const server = await launchServer(kind);
  const pool = new SubscriberPool();
  const samplers = new LatencySamplers();
  try {
    await sleep(300);
    const rssBefore = readTotals(server.pids()).rssBytes;
    const protocol = PROTOCOL_OF[kind];
    const raw = spec.subscribers - spec.samplers;
    const [s, p] = await Promise.all([
      samplers.open({ protocol, url: server.url, count: spec.samplers, firstIndex: 0, filter: spec.filter }),
      pool.open({ protocol, host: '127.0.0.1', port: server.port, count: raw, firstIndex: spec.samplers, filter: spec.filter, track: false, sourceAddresses: spec.sourceAddresses, concurrency: 100 }),
    ]);
    fig.errors.push(...s.errors, ...p.errors);
    log(`    ${p.opened + s.opened}/${spec.subscribers} subscribed in ${(p.ms / 1000).toFixed(1)} s`);
    if (p.opened !== raw || s.opened !== spec.samplers) throw new Error(`only ${p.opened + s.opened} of ${spec.subscribers} subscribers connected: ${fig.errors.join('; ')}`);

    // Warm-up: same path, untimed; wait until it is delivered so it does not leak into the window.
    // Counted from a mark, since setup replies (welcome, subscribed, …) are frames too.
    await Promise.all([pool.mark(), samplers.mark()]);
    const warm = await publishPaced(server.url, { rate: spec.rate, count: spec.warmupEvents, first: 0 });
    fig.errors.push(...warm.errors);
    const warmExpected = expectedDeliveries({ firstIndex: spec.samplers, subscribers: raw, firstEvent: 0, events: spec.warmupEvents, filter: spec.filter });
    const warmSampled = expectedDeliveries({ firstIndex: 0, subscribers: spec.samplers, firstEvent: 0, events: spec.warmupEvents, filter: spec.filter });
    const warmed = await waitForCount(async () => (await pool.stats()).delivered, warmExpected, { stallMs: 5000, deadlineMs: 90_000 });
    await waitForCount(() => samplers.received(), warmSampled, { stallMs: 2000, deadlineMs: 10_000 });
    if (warmed < warmExpected) fig.errors.push(`warm-up incomplete (${warmed}/${warmExpected}); late warm-up frames may count in the window`);
    await sleep(200);
    const rssConnected = readTotals(server.pids()).rssBytes;
    fig.rssPerConnKB = round((rssConnected - rssBefore) / spec.subscribers / 1024);

    await Promise.all([pool.mark(), samplers.mark()]);
    const before = readTotals(server.pids());
    const cpu0 = before.cpuMicros;
    const wait0 = runQueueWaitNs(server.pids());
    const load0 = pool.cpuMicros();
    const t0 = clockMs();
    const pub = await publishPaced(server.url, { rate: spec.rate, count: spec.events, first: spec.warmupEvents });
    fig.errors.push(...pub.errors);
    const rawExpected = expectedDeliveries({ firstIndex: spec.samplers, subscribers: raw, firstEvent: spec.warmupEvents, events: spec.events, filter: spec.filter });
    const sampleExpected = expectedDeliveries({ firstIndex: 0, subscribers: spec.samplers, firstEvent: spec.warmupEvents, events: spec.events, filter: spec.filter });
    await waitForCount(async () => (await pool.stats()).delivered, rawExpected, { stallMs: 5000, deadlineMs: spec.drainDeadlineMs });
    await waitForCount(() => samplers.received(), sampleExpected, { stallMs: 2000, deadlineMs: 5000 });
    const stats = await pool.stats();
    const cpu1 = readTotals(server.pids());
    const load1 = pool.cpuMicros();
    const wait1 = runQueueWaitNs(server.pids());
    const report = await samplers.report();

    const delivered = stats.delivered + report.received;
    const expected = rawExpected + sampleExpected;
    const end = Math.max(stats.lastDataAt, t0 + 1);
    fig.delivered = delivered;
    fig.expected = expected;
    fig.lossPct = round(lossPct(delivered, expected));
    fig.deliveriesPerS = round(delivered / ((end - t0) / 1000));
    fig.cpuUsPerDelivery = delivered === 0 ? null : round((cpu1.cpuMicros - cpu0) / delivered);
    fig.cpuCores = round((cpu1.cpuMicros - cpu0) / 1e6 / ((end - t0) / 1000));
    fig.loadgenCpuUsPerDelivery = stats.delivered === 0 ? null : round((load1 - load0) / stats.delivered);
    fig.rssMB = round(cpu1.rssBytes / 2 ** 20);
    const lat = percentiles(report.latenciesMs);
    fig.latencyMs = { count: lat.count, p50: round(lat.p50), p99: round(lat.p99), p999: round(lat.p999), max: round(lat.max) };
    fig.extra = {
      published: pub.accepted,
      publish_span_s: round((pub.lastAt - pub.firstAt) / 1000),
      drain_s: round((end - pub.lastAt) / 1000),
      publish_ack_p50_ms: round(percentiles(pub.ackMs).p50),
      publish_ack_p99_ms: round(percentiles(pub.ackMs).p99),
      // Time the server's main thread(s) were runnable but waited for a CPU, per second of the window.
      server_runqueue_wait_ms_per_s: round((wait1 - wait0) / 1e6 / ((end - t0) / 1000)),
      samplers_out_of_order: report.outOfOrder,
      // What CPU per delivery tracks: one write system call sends a connection every frame it has
      // pending, and on loopback the kernel's TCP work for it is charged to the server as system time.
      server_write_syscalls_per_delivery: delivered === 0 ? null : round((cpu1.writeSyscalls - before.writeSyscalls) / delivered),
      server_sys_cpu_share: cpu1.cpuMicros === cpu0 ? null : round((cpu1.sysMicros - before.sysMicros) / (cpu1.cpuMicros - cpu0)),
      bytes_per_delivery: stats.delivered === 0 ? null : round(stats.bytes / stats.delivered),
    };
    if (report.outOfOrder > 0) fig.errors.push(`${report.outOfOrder} events out of order at the samplers`);
    if (delivered > expected) fig.errors.push(`${delivered - expected} deliveries more than expected`);
  } finally {
    await Promise.all([pool.close(), samplers.close()]);
    await server.stop();
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
