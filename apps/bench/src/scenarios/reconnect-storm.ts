import { publishPaced } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscriber-pool.js';
import { clockMs } from '../measure/clock.js';
import { percentiles } from '../measure/percentiles.js';
import { readTotals } from '../measure/proc-stat.js';
import { launchServer } from '../servers/launch.js';
import { PROTOCOL_OF, type ServerKind } from '../servers/server-kinds.js';
import type { RunFigures } from '../report/results.js';
import { emptyFigures, lossPct, round, sleep, waitForCount } from './run-support.js';

/** Parameters of a reconnect storm (scenario e). */
export interface StormSpec {
  scenario: string;
  title: string;
  clients: number;
  /** Events delivered before the drop (each client learns its cursor from them). */
  before: number;
  /** Events published while every client is disconnected: what `since` must replay. */
  missed: number;
  /** Live events after everyone is back. */
  after: number;
  rate: number;
  sourceAddresses: number;
}

/**
 * Reconnect storm: `clients` subscribers that parse every event's seq drop their sockets at once (no
 * close frame, like a network blip), `missed` events are published meanwhile, and all reconnect at the
 * same moment resuming from their cursor — the gateway's `since`, Socket.IO's connection state recovery
 * (pid + offset); the plain ws server has no resume, so its clients lose what was missed. Then `after`
 * live events. Per client: time to `subscribed`, time until the missed events have arrived, gaps and
 * duplicates in seq.
 */
export async function runStorm(kind: ServerKind, spec: StormSpec, log: (line: string) => void): Promise<RunFigures> {
  const fig = emptyFigures({ scenario: spec.scenario, kind: 'storm', title: spec.title, server: kind, subscribers: spec.clients });
  const wallStart = clockMs();
  const server = await launchServer(kind, { recovery: true });
  const pool = new SubscriberPool();
  try {
    await sleep(300);
    const rssBefore = readTotals(server.pids()).rssBytes;
    const opened = await pool.open({ protocol: PROTOCOL_OF[kind], host: '127.0.0.1', port: server.port, count: spec.clients, firstIndex: 0, filter: 'none', track: true, sourceAddresses: spec.sourceAddresses, concurrency: 100 });
    fig.errors.push(...opened.errors);
    if (opened.opened !== spec.clients) throw new Error(`only ${opened.opened} of ${spec.clients} connected: ${opened.errors.join('; ')}`);

    await pool.mark();
    const first = await publishPaced(server.url, { rate: spec.rate, count: spec.before, first: 0 });
    fig.errors.push(...first.errors);
    await waitForCount(async () => (await pool.stats()).events, spec.clients * spec.before, { stallMs: 5000, deadlineMs: 60_000 });
    const rssConnected = readTotals(server.pids()).rssBytes;

    await pool.drop();
    await sleep(1000); // the server notices every close
    const gap = await publishPaced(server.url, { rate: spec.rate, count: spec.missed, first: spec.before });
    fig.errors.push(...gap.errors);
    const targetSeq = gap.lastSeq;

    const cpu0 = readTotals(server.pids()).cpuMicros;
    const t0 = clockMs();
    const replies = await pool.reconnect(targetSeq, '');
    const stormS = (clockMs() - t0) / 1000;
    const cpuStorm = readTotals(server.pids()).cpuMicros - cpu0;
    const reconnected = replies.reduce((s, r) => s + r.opened, 0);
    const recovered = replies.reduce((s, r) => s + r.recovered, 0);
    fig.errors.push(...replies.flatMap((r) => r.errors).slice(0, 5));
    log(`    ${reconnected}/${spec.clients} back, ${recovered} recovered, in ${stormS.toFixed(2)} s`);

    const live = await publishPaced(server.url, { rate: spec.rate, count: spec.after, first: spec.before + spec.missed });
    fig.errors.push(...live.errors);
    const expected = spec.clients * (spec.missed + spec.after);
    await waitForCount(async () => (await pool.stats()).events, expected, { stallMs: 3000, deadlineMs: 30_000 });
    const stats = await pool.stats();
    const ready = percentiles(replies.flatMap((r) => r.readyMs));
    const caughtUp = percentiles(replies.flatMap((r) => r.caughtUpMs));
    fig.rate = spec.rate;
    fig.events = spec.missed + spec.after;
    fig.delivered = stats.events;
    fig.expected = expected;
    fig.lossPct = round(lossPct(stats.events, expected));
    fig.cpuCores = round(cpuStorm / 1e6 / stormS);
    fig.rssPerConnKB = round((rssConnected - rssBefore) / spec.clients / 1024);
    fig.rssMB = round(readTotals(server.pids()).rssBytes / 2 ** 20);
    fig.latencyMs = { count: caughtUp.count, p50: round(caughtUp.p50), p99: round(caughtUp.p99), p999: round(caughtUp.p999), max: round(caughtUp.max) };
    fig.extra = {
      reconnected,
      recovered,
      storm_s: round(stormS),
      subscribed_p50_ms: round(ready.p50),
      subscribed_p99_ms: round(ready.p99),
      caught_up_clients: caughtUp.count,
      server_cpu_ms_per_reconnect: round(cpuStorm / 1000 / Math.max(1, reconnected)),
      gaps: stats.gaps,
      duplicates: stats.duplicates,
    };
  } finally {
    await pool.close();
    await server.stop();
  }
  fig.wallS = round((clockMs() - wallStart) / 1000);
  return fig;
}
