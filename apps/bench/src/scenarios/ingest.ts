import { ingest } from '../load/publisher.js';
import { clockMs } from '../measure/clock.js';
import { readTotals } from '../measure/proc-stat.js';
import { launchServer } from '../servers/launch.js';
import type { ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from '../report/results.js';
import { emptyFigures, round, sleep } from './run-support.js';

/** Parameters of a publish-ingest run (scenario d). */
export interface IngestSpec {
  scenario: string;
  title: string;
  durationMs: number;
  warmupMs: number;
  batchSize: number;
  concurrency: number;
}

/**
 * Publish ingest: batches of `batchSize` events through `POST /v1/publish`, `concurrency` requests in
 * flight, no subscribers. Every server validates with the same @ns/contracts parser; the gateway
 * also sequences, stores history and checks idempotency (and, with Redis, stores in Redis).
 */
export async function runIngest(kind: ServerKind, spec: IngestSpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: 'ingest', title: spec.title, server: kind, subscribers: 0 });
  const wallStart = clockMs();
  const server = await launchServer(kind);
  try {
    await sleep(300);
    const warm = await ingest(server.url, { batchSize: spec.batchSize, concurrency: spec.concurrency, durationMs: spec.warmupMs });
    fig.errors.push(...warm.errors);
    const cpu0 = readTotals(server.pids()).cpuMicros;
    const out = await ingest(server.url, { batchSize: spec.batchSize, concurrency: spec.concurrency, durationMs: spec.durationMs });
    const after = readTotals(server.pids());
    fig.errors.push(...out.errors);
    const cpuS = (after.cpuMicros - cpu0) / 1e6;
    const eventsPerS = out.accepted / (out.elapsedMs / 1000);
    log(`    ${Math.round(eventsPerS)} events/s accepted`);
    fig.events = out.accepted;
    fig.delivered = out.accepted;
    fig.expected = out.requests * spec.batchSize;
    fig.cpuCores = round(cpuS / (out.elapsedMs / 1000));
    fig.rssMB = round(after.rssBytes / 2 ** 20);
    fig.extra = {
      events_per_s: round(eventsPerS),
      cpu_us_per_event: out.accepted === 0 ? null : round((cpuS * 1e6) / out.accepted),
      events_per_cpu_s: cpuS === 0 ? null : round(out.accepted / cpuS),
      batch_size: spec.batchSize,
      concurrency: spec.concurrency,
      requests: out.requests,
    };
  } finally {
    await server.stop();
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
