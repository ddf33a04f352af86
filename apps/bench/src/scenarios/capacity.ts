import { publishPaced } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscriber-pool.js';
import { clockMs } from '../measure/clock.js';
import { readTotals } from '../measure/proc-stat.js';
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
   * How long the connections stay idle before the memory figure is read. RSS right after a burst of
   * thousands of handshakes still holds their garbage (V8 frees it, and returns pages, once allocation
   * has been quiet for a while); an idle connection's cost is what remains. The figure 2 s after the
   * burst is reported beside it (`rss_per_conn_after_burst_kb`).
   */
  settleMs: number;
}

/**
 * Connection capacity: attempt `connections` idle subscribed connections (raw sockets spread over
 * worker processes and loopback source addresses); those the server cannot take (fd limit) fail.
 * Count what it holds, let it settle, read its RSS; then close `release` of them and publish one event
 * to prove that every connection still held is live and subscribed.
 */
export async function runCapacity(kind: ServerKind, spec: CapacitySpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: 'capacity', title: spec.title, server: kind, subscribers: spec.connections });
  const wallStart = clockMs();
  const server = await launchServer(kind);
  const pool = new SubscriberPool();
  try {
    await sleep(500);
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
      settle_s: round(spec.settleMs / 1000),
    };
  } finally {
    await pool.close();
    await server.stop();
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
