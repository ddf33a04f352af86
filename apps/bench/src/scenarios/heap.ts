import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubscriberPool } from '../load/subscriber-pool.js';
import { clockMs } from '../measure/clock.js';
import { heapTotalsByType, perConnection, takeSnapshot } from '../measure/heap-snapshot.js';
import { readTotals } from '../measure/proc-stat.js';
import { launchServer } from '../servers/launch.js';
import { PROTOCOL_OF, type ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from '../report/results.js';
import { emptyFigures, round, sleep } from './run-support.js';

/** Parameters of a heap-breakdown run (scenario f). */
export interface HeapSpec {
  scenario: string;
  title: string;
  /** Connections opened before the first snapshot, so one-time costs (compiled code, pools) stay out. */
  warmup: number;
  /** Idle subscribed connections added between the two snapshots. */
  connections: number;
  /** Wait between the last connection and the second snapshot. */
  settleMs: number;
  sourceAddresses: number;
}

/**
 * Where the memory of an idle subscribed connection goes: the server (one process) runs with
 * `--heapsnapshot-signal`; `warmup` connections are opened, a heap snapshot taken (V8 collects garbage
 * first), `connections` more opened and left idle, a second snapshot taken. The difference per object
 * type, divided by `connections`, is the per-connection breakdown; RSS is read beside it.
 */
export async function runHeap(kind: ServerKind, spec: HeapSpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: 'heap', title: spec.title, server: kind, subscribers: spec.connections });
  const wallStart = clockMs();
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-heap-'));
  const server = await launchServer(kind, { nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] });
  const pid = server.pids()[0] as number;
  const open = (pool: SubscriberPool, count: number, firstIndex: number) =>
    pool.open({ protocol: PROTOCOL_OF[kind], host: '127.0.0.1', port: server.port, count, firstIndex, filter: 'none', track: false, sourceAddresses: spec.sourceAddresses, concurrency: 50 });
  const warm = new SubscriberPool();
  const pool = new SubscriberPool();
  try {
    const w = await open(warm, spec.warmup, 0);
    fig.errors.push(...w.errors);
    await sleep(1000);
    const before = heapTotalsByType(await takeSnapshot(pid, dir));
    const rssBefore = readTotals([pid]).rssBytes;
    const opened = await open(pool, spec.connections, spec.warmup);
    fig.errors.push(...opened.errors);
    log(`    ${opened.opened}/${spec.connections} subscribed (after ${w.opened} warm-up connections)`);
    // Idle means past every handshake-time timer (the gateway's handshake deadline is 10 s).
    await sleep(spec.settleMs);
    const held = (await pool.stats()).open;
    const after = heapTotalsByType(await takeSnapshot(pid, dir));
    const rssAfter = readTotals([pid]).rssBytes;
    fig.subscribers = held;
    fig.delivered = held;
    fig.expected = spec.connections;
    const rows = perConnection(before, after, held);
    fig.heapPerConnection = rows;
    fig.rssPerConnKB = held === 0 ? null : round((rssAfter - rssBefore) / held / 1024);
    fig.rssMB = round(rssAfter / 2 ** 20);
    fig.extra = { heap_bytes_per_connection: Math.round(rows.reduce((n, r) => n + r.bytes, 0)), warmup_connections: w.opened };
  } finally {
    await Promise.all([pool.close(), warm.close()]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
