import { SERVER_LABELS } from '../servers/server-kinds.js';
import { ratios } from './ratios.js';
import type { BenchResults, RunFigures } from './results.js';
import { checkTargets } from './targets.js';

const num = (x: number | null | undefined, digits = 2): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
};
const count = (x: number) => x.toLocaleString('en-US');
const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly string[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const deliveredCell = (r: RunFigures) => `${count(r.delivered)}/${count(r.expected)}${r.lossPct > 0 ? ` (**${num(r.lossPct, 2)} % lost**)` : ''}`;

/** The Markdown report: targets, then one table per scenario kind, then the machine and notes. */
export function renderMarkdown(results: BenchResults, chartFile: string): string {
  const { runs, machine } = results;
  const out: string[] = [];
  out.push(`# Benchmark results — ${results.profile} profile`);
  out.push('');
  out.push(
    `${results.startedAt} → ${results.finishedAt} · ${machine.cpus} × ${machine.cpuModel} · Node ${machine.node} · fd limit ${machine.fdLimit} · ` +
      `load average at start ${machine.loadAvgStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${machine.loadAvgEnd.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min; the machine is shared, so absolute figures are noisy — compare servers within this run)`,
  );
  out.push('');
  out.push(`![CPU per delivery and p99 latency per server](${chartFile})`);
  out.push('');
  out.push('## Targets (issues 8 and 17)');
  out.push('');
  out.push(table(['target', 'measured', 'met'], checkTargets(results).map((t) => [t.target, t.measured, t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'])));

  const fan = runs.filter((r) => r.kind === 'fanout' || r.kind === 'filtered');
  if (fan.length > 0) {
    out.push('', '## Fan-out (a) and filtered fan-out (b)', '');
    out.push(
      table(
        ['scenario', 'server', 'delivered/expected', 'deliveries/s', 'server CPU µs/delivery', 'server writes/delivery', 'server system CPU %', 'server cores', 'p50 ms', 'p99 ms', 'p99.9 ms', 'RSS/conn KB', 'loadgen CPU µs/delivery', 'server waited for a CPU, ms/s'],
        fan.map((r) => [
          r.title,
          SERVER_LABELS[r.server],
          deliveredCell(r),
          num(r.deliveriesPerS, 0),
          num(r.cpuUsPerDelivery),
          num(r.extra['server_write_syscalls_per_delivery'] as number | undefined, 3),
          num(typeof r.extra['server_sys_cpu_share'] === 'number' ? r.extra['server_sys_cpu_share'] * 100 : undefined, 0),
          num(r.cpuCores),
          num(r.latencyMs?.p50),
          num(r.latencyMs?.p99),
          num(r.latencyMs?.p999),
          num(r.rssPerConnKB, 1),
          num(r.loadgenCpuUsPerDelivery),
          num(r.extra['server_runqueue_wait_ms_per_s'] as number | undefined, 0),
        ]),
      ),
    );
    out.push('', 'The last column is from `/proc/<pid>/schedstat`: how long per second the server was runnable but waiting for a core (other work on the shared machine, the load generator, the samplers). Latency tails track it. "Server writes/delivery" counts write system calls (`/proc/<pid>/io`): one write carries every frame a connection has pending, and on loopback the TCP work the kernel does for it is charged to the server as system CPU — the cost CPU per delivery tracks.');
    const rs = ratios(fan);
    if (rs.length > 0) {
      out.push('', 'Ratios gateway (memory) ÷ baseline, same run (lower is better for the gateway):', '');
      out.push(table(['scenario', 'baseline', 'CPU per delivery', 'p99 latency', 'RSS per connection'], rs.map((x) => [x.title, SERVER_LABELS[x.baseline], num(x.cpuPerDelivery, 3), num(x.p99, 3), num(x.rssPerConn, 3)])));
    }
  }

  const cap = runs.filter((r) => r.kind === 'capacity');
  if (cap.length > 0) {
    out.push('', '## Connection capacity (c)', '');
    out.push(
      table(
        ['server', 'attempted', 'held', 'RSS/conn KB after GC', 'RSS/conn KB idle, no GC', 'each run: after GC / idle', 'server RSS MB', 'connects/s', 'setup CPU µs/conn', 'one event to all, ms', 'delivered/expected'],
        cap.map((r) => [
          SERVER_LABELS[r.server],
          count(Number(r.extra['attempted'])),
          count(r.subscribers),
          num(r.rssPerConnKB, 1),
          num(r.extra['rss_per_conn_idle_kb'] as number | undefined, 1),
          r.extra['runs'] === undefined ? '–' : `${String(r.extra['rss_per_conn_runs_kb'])} / ${String(r.extra['rss_per_conn_idle_runs_kb'])}`,
          num(r.rssMB, 0),
          num(r.extra['connects_per_s'] as number, 0),
          num(r.extra['setup_cpu_us_per_connection'] as number, 0),
          num(r.extra['one_event_to_all_ms'] as number, 1),
          deliveredCell(r),
        ]),
      ),
    );
    const io = cap.find((r) => r.server === 'socketio');
    const gw = cap.find((r) => r.server === 'gateway');
    const ws = cap.find((r) => r.server === 'ws');
    if (gw?.rssPerConnKB != null && io?.rssPerConnKB != null && ws?.rssPerConnKB != null) {
      out.push('', `RSS per connection after GC, gateway ÷ plain ws ${num(gw.rssPerConnKB / ws.rssPerConnKB, 3)}, gateway ÷ Socket.IO ${num(gw.rssPerConnKB / io.rssPerConnKB, 3)}.`);
    }
    out.push(
      '',
      (cap.some((r) => r.extra['runs'] !== undefined) ? 'Each server ran the scenario several times, each on a fresh process; the run with the median RSS/conn after GC is the row (its idle figure is the median of the runs), and every run is listed. ' : '') +
        'RSS/conn is (RSS − RSS before connecting) ÷ connections held, each read after the server ran two full garbage collections (`--expose-gc`, `src/servers/gc-on-signal.cjs`, the baseline too): what the idle connections keep. The column beside it is the same difference after the idle period (`settle_s`) without that collection: it also holds garbage of the connection burst, which Node 20 does not collect while idle, so it depends on when the last mark-compact happened to run.',
    );
  }

  const heaps = runs.filter((r) => r.kind === 'heap' && r.heapPerConnection !== undefined);
  if (heaps.length > 0) {
    out.push('', '## Heap per idle subscribed connection, by object type (f)', '');
    const title = heaps[0]?.title ?? '';
    out.push(`${title}: ${heaps.map((h) => `${SERVER_LABELS[h.server]} ${num(h.extra['heap_bytes_per_connection'] as number, 0)} B`).join(', ')} of V8 heap per connection (self size of the objects added between two heap snapshots ÷ connections; V8 collects garbage before each). Native memory (socket buffers, libuv handles) is not in it; RSS/conn is the capacity table's.`, '');
    const types = [...new Set(heaps.flatMap((h) => (h.heapPerConnection ?? []).map((t) => t.type)))];
    const cell = (h: RunFigures, type: string) => {
      const t = h.heapPerConnection?.find((x) => x.type === type);
      return t === undefined ? '–' : `${t.bytes} (${t.count})`;
    };
    const first = heaps[0] as RunFigures;
    types.sort((a, b) => (first.heapPerConnection?.find((x) => x.type === b)?.bytes ?? 0) - (first.heapPerConnection?.find((x) => x.type === a)?.bytes ?? 0));
    out.push(table(['object type', ...heaps.map((h) => `${SERVER_LABELS[h.server]}: bytes (objects)`)], types.map((t) => [`\`${t}\``, ...heaps.map((h) => cell(h, t))])));
  }

  const ing = runs.filter((r) => r.kind === 'ingest');
  if (ing.length > 0) {
    out.push('', '## Publish ingest (d)', '');
    out.push('Batches of 1000 events, 4 requests in flight, no subscribers. Every server validates with the same `@ns/contracts` parser; the gateway also assigns seq, keeps history and checks idempotency (Redis: stores in Redis).', '');
    out.push(
      table(
        ['server', 'events/s', 'server CPU µs/event', 'events per CPU second', 'server cores', 'errors'],
        ing.map((r) => [SERVER_LABELS[r.server], num(r.extra['events_per_s'] as number, 0), num(r.extra['cpu_us_per_event'] as number), num(r.extra['events_per_cpu_s'] as number, 0), num(r.cpuCores), r.errors.length === 0 ? '0' : r.errors[0] ?? '']),
      ),
    );
  }

  const storm = runs.filter((r) => r.kind === 'storm');
  if (storm.length > 0) {
    out.push('', '## Reconnect storm (e)', '');
    out.push('Every client drops its socket at once; 50 events are published meanwhile; all reconnect at the same moment resuming from their cursor (gateway `since`, Socket.IO connection state recovery; plain ws cannot resume); then 20 live events. "caught up" = the missed events have arrived.', '');
    out.push(
      table(
        ['server', 'clients back', 'recovered', 'storm s', 'subscribed p50/p99 ms', 'caught up p50/p99 ms', 'server CPU ms/reconnect', 'missed+live delivered/expected', 'seq gaps', 'duplicates'],
        storm.map((r) => [
          SERVER_LABELS[r.server],
          count(Number(r.extra['reconnected'])),
          count(Number(r.extra['recovered'])),
          num(r.extra['storm_s'] as number),
          `${num(r.extra['subscribed_p50_ms'] as number, 0)} / ${num(r.extra['subscribed_p99_ms'] as number, 0)}`,
          `${num(r.latencyMs?.p50, 0)} / ${num(r.latencyMs?.p99, 0)}`,
          num(r.extra['server_cpu_ms_per_reconnect'] as number, 3),
          deliveredCell(r),
          count(Number(r.extra['gaps'])),
          count(Number(r.extra['duplicates'])),
        ]),
      ),
    );
  }

  const errors = runs.filter((r) => r.errors.length > 0);
  if (errors.length > 0) {
    out.push('', '## Errors reported', '');
    for (const r of errors) {
      // Beyond the fd limit the kernel/libuv refuse connections: expected, and what capacity measures.
      const why = r.kind === 'capacity' ? ` (the ${count(Number(r.extra['failed'] ?? 0))} connections the server could not accept at its fd limit)` : '';
      out.push(`- ${r.scenario} / ${SERVER_LABELS[r.server]}${why}: ${r.errors.slice(0, 3).join('; ')}`);
    }
  }
  out.push('', '## How it was measured', '');
  out.push(
    [
      '- Each server runs in its own process(es); server CPU is user+system time from `/proc/<pid>/stat` of all of them (the gateway with Redis: primary, 2 workers and redis-server; with Redis Cluster: primary, 2 workers and the 3 masters), over the window from the first publish to the last byte received.',
      '- Subscribers are raw TCP sockets that do the WebSocket / Engine.IO+Socket.IO handshake, subscribe, then only parse frame headers to count deliveries (5,000 per load-generator process, over 8 loopback source addresses); 10 of them are real clients (`ws`, `socket.io-client`) that parse every event and record publish → receive latency from the publish time carried in the event.',
      '- Events (~260 bytes delivered) are published through `POST /v1/publish` at the offered rate, paced by schedule; every server validates them with `@ns/contracts`.',
      '- RSS per connection = (server RSS after the subscribers connected − before) / subscribers.',
    ].join('\n'),
  );
  out.push('');
  return out.join('\n');
}
