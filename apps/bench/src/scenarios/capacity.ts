import { join } from 'node:path';
import { publishPaced } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscriber-pool.js';
import { clockMs } from '../measure/clock.js';
import { readTotals } from '../measure/proc-stat.js';
import { BENCH_DIR } from '../paths.js';
import { launchServer } from '../servers/launch.js';
import { PROTOCOL_OF, type ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from '../report/results.js';
import { emptyFigures, lossPct, round, sleep, waitForCount } from './run-support.js';

/** Parameters of a connection-capacity run (scenario c). */
export interface CapacitySpec {
  scenario: string;
  title: string;
  /** Idle subscribed connections to attempt (the server's fd limit bounds what it can hold). */
  connections: number;
  /**
   * Connections closed before the liveness check: a server at its fd limit cannot even accept the
   * publisher's HTTP connection, so a few are given back first.
   */
  release: number;
  sourceAddresses: number;
  /**
   * How long the connections stay idle before memory is read: RSS then (`rss_per_conn_idle_kb`), and
   * again after the server has run a full garbage collection (the figure reported). The figure 2 s
   * after the burst is reported beside them (`rss_per_conn_after_burst_kb`).
   */
  settleMs: number;
  /** Runs per server, each on a fresh server process; the median run is reported (default 1). */
  repeats?: number;
}

// Every server runs with this preload: SIGUSR2 makes it collect its garbage (gc-on-signal.cjs says why).
const GC_ARGS = ['--expose-gc', '-r', join(BENCH_DIR, 'src', 'servers', 'gc-on-signal.cjs')];
/** Time for V8 to hand the pages a full collection freed back to the system (RSS is flat after ~1 s). */
const AFTER_GC_MS = 2000;

/** Has the server processes collect their garbage, twice over (once was seen not to take, 1 run in ~10). */
async function collectGarbage(pids: readonly number[]): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
    await sleep(AFTER_GC_MS);
  }
}

/**
 * Connection capacity: attempt `connections` idle subscribed connections (raw sockets spread over
 * worker processes and loopback source addresses); those the server cannot take (fd limit) fail.
 * Count what it holds, let it settle, read its RSS; have it collect its garbage and read its RSS again:
 * what its idle connections keep, whenever its last collection happened to run. Then close `release`
 * of them and publish one event to prove that every connection still held is live and subscribed.
 */
export async function runCapacity(kind: ServerKind, spec: CapacitySpec, log: (line: string) => void): Promise<RunFigures> {
  const runs: RunFigures[] = [];
  for (let i = 0; i < (spec.repeats ?? 1); i++) runs.push(await runCapacityOnce(kind, spec, log));
  if (runs.length === 1) return runs[0] as RunFigures;
  // Memory after a burst varies from run to run with V8's heuristics (when the young generation
  // shrinks, how full old-space pages are left): the run with the median figure is reported, with
  // every run's figures beside it.
  const sorted = [...runs].sort((a, b) => (a.rssPerConnKB ?? Infinity) - (b.rssPerConnKB ?? Infinity));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as RunFigures;
  const idle = runs.map((r) => r.extra['rss_per_conn_idle_kb'] as number | null).filter((x): x is number => x !== null).sort((a, b) => a - b);
  return {
    ...median,
    errors: runs.flatMap((r) => r.errors),
    lossPct: Math.max(...runs.map((r) => r.lossPct)),
    wallS: round(runs.reduce((n, r) => n + r.wallS, 0)),
    extra: {
      ...median.extra,
      runs: runs.length,
      rss_per_conn_runs_kb: runs.map((r) => r.rssPerConnKB ?? 'n/a').join(' '),
      rss_per_conn_idle_runs_kb: runs.map((r) => r.extra['rss_per_conn_idle_kb'] ?? 'n/a').join(' '),
      rss_per_conn_idle_kb: idle.length === 0 ? null : (idle[Math.floor((idle.length - 1) / 2)] as number),
      delivered_runs: runs.map((r) => `${r.delivered}/${r.expected}`).join(' '),
    },
  };
}

async function runCapacityOnce(kind: ServerKind, spec: CapacitySpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: 'capacity', title: spec.title, server: kind, subscribers: spec.connections });
  const wallStart = clockMs();
  const server = await launchServer(kind, { nodeArgs: GC_ARGS });
  const pool = new SubscriberPool();
  try {
    // The baseline is collected too, so that the difference is what the connections keep.
    await sleep(500);
    await collectGarbage(server.nodePids());
    const before = readTotals(server.pids());
    const cpu0 = before.cpuMicros;
    const opened = await pool.open({ protocol: PROTOCOL_OF[kind], host: '127.0.0.1', port: server.port, count: spec.connections, firstIndex: 0, filter: 'none', track: false, sourceAddresses: spec.sourceAddresses, concurrency: 50 });
    const setup = readTotals(server.pids());
    fig.errors.push(...opened.errors);
    log(`    ${opened.opened}/${spec.connections} subscribed in ${(opened.ms / 1000).toFixed(1)} s${opened.failed > 0 ? `, ${opened.failed} failed` : ''}`);
    await sleep(2000);
    const burst = readTotals(server.pids());
    await sleep(Math.max(0, spec.settleMs - 2000));
    const held = (await pool.stats()).open;
    const idle = readTotals(server.pids());
    await collectGarbage(server.nodePids());
    const after = readTotals(server.pids());
    fig.subscribers = held;
    fig.rssMB = round(after.rssBytes / 2 ** 20);
    const perConn = (t: typeof after) => (held === 0 ? null : round((t.rssBytes - before.rssBytes) / held / 1024));
    fig.rssPerConnKB = perConn(after);

    await pool.drop(Math.min(spec.release, held));
    await sleep(500);
    const live = (await pool.stats()).open;
    await pool.mark();
    const t0 = clockMs();
    const pub = await publishPaced(server.url, { rate: 10, count: 1, first: 0 });
    fig.errors.push(...pub.errors);
    const delivered = await waitForCount(async () => (await pool.stats()).delivered, live, { stallMs: 5000, deadlineMs: 30_000 });
    const stats = await pool.stats();
    fig.delivered = delivered;
    fig.expected = live;
    fig.lossPct = round(lossPct(delivered, live));
    fig.events = 1;
    fig.extra = {
      attempted: spec.connections,
      held,
      failed: opened.failed,
      released_before_check: held - live,
      connect_s: round(opened.ms / 1000),
      connects_per_s: round(opened.opened / (opened.ms / 1000)),
      setup_cpu_us_per_connection: opened.opened === 0 ? null : round((setup.cpuMicros - cpu0) / opened.opened),
      one_event_to_all_ms: stats.lastDataAt === 0 ? null : round(stats.lastDataAt - t0),
      rss_before_mb: round(before.rssBytes / 2 ** 20),
      rss_per_conn_after_burst_kb: perConn(burst),
      rss_per_conn_idle_kb: perConn(idle),
      settle_s: round(spec.settleMs / 1000),
    };
  } finally {
    await pool.close();
    await server.stop();
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
