/**
 * Publish → receive latency with 100+ concurrent WebSocket clients (the seed's load test, target
 * < 100 ms). Runs the REAL built gateway as a child process, so the clients and the publisher (this
 * process) never share an event loop with it. Both timestamps are taken here, on one clock.
 *
 *   npx tsx apps/gateway/bench/latency.bench.ts [--clients 150] [--events 500] [--rate 100] [--batch 1] [--write-delay-ms 2] [--warmup 200]
 *
 * Every client subscribes to `threats`; events are POSTed to /v1/publish at `--rate` per second (in
 * requests of `--batch` events), after `--warmup` untimed events (JIT, HTTP keep-alive pool). For each
 * (client, event) the latency is receive time − the time just before the POST was sent. The run fails (exit 1) unless every client received every event, in order.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '150' },
    events: { type: 'string', default: '500' },
    rate: { type: 'string', default: '100' },
    batch: { type: 'string', default: '1' },
    'write-delay-ms': { type: 'string', default: '2' },
    warmup: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const EVENTS = Number(values.events);
const RATE = Number(values.rate);
const BATCH = Math.max(1, Math.min(1000, Number(values.batch)));
const WARMUP = Number(values.warmup);

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing; run \`npm run build\` first`);
  process.exit(2);
}

function startGateway(): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...env, NS_AUTH: 'none', NS_PORT: '0', NS_LOG_LEVEL: 'warn', NS_IP_CONNECT_RATE: '10000', NS_PUBLISH_RATE: '100000', NS_WRITE_DELAY_MS: values['write-delay-ms'] },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1] as string, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}):\n${err}`)));
  });
}

interface Client {
  ws: WebSocket;
  received: number;
  lastSeq: number;
  outOfOrder: number;
}

const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const gw = await startGateway();
  const wsUrl = `${gw.url.replace(/^http/, 'ws')}/ws`;
  const sentAt = new Map<string, number>();
  const latencies = new Float64Array(CLIENTS * EVENTS);
  let samples = 0;
  let allReceived: () => void = () => {};
  const done = new Promise<void>((resolve) => (allReceived = resolve));

  const clients: Client[] = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const ws = new WebSocket(wsUrl, 'ns.v1');
      const c: Client = { ws, received: 0, lastSeq: 0, outOfOrder: 0 };
      const subscribed = new Promise<void>((resolve) => {
        ws.on('message', (data) => {
          const now = performance.now();
          const m = JSON.parse(data.toString()) as { type: string; id?: string; seq?: number };
          if (m.type === 'welcome') ws.send(JSON.stringify({ type: 'subscribe', id: 's', channel: 'threats' }));
          else if (m.type === 'subscribed') resolve();
          else if (m.type === 'threat.new' && m.id !== undefined) {
            const t0 = sentAt.get(m.id);
            if (t0 !== undefined) latencies[samples++] = now - t0;
            if ((m.seq ?? 0) <= c.lastSeq) c.outOfOrder++;
            c.lastSeq = m.seq ?? 0;
            if (++c.received === EVENTS && clients.every((x) => x.received === EVENTS)) allReceived();
          }
        });
      });
      await subscribed;
      return c;
    }),
  );

  // Warm-up on another channel: the same code paths get compiled, the clients see none of it.
  for (let i = 0; i < WARMUP; i += 50) {
    const events = Array.from({ length: 50 }, (_, j) => ({ type: 'status.update', data: { component: `warmup-${(i + j) % 10}`, status: 'healthy' } }));
    await Promise.all(events.map((e) => fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) }).then((r) => r.arrayBuffer())));
  }

  const ackLatencies: number[] = [];
  const intervalMs = (1000 / RATE) * BATCH;
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    // Paced against the schedule, not the previous send, so the offered rate holds.
    const due = started + (i / BATCH) * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const events = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
      const id = `bench-${j}`;
      events.push({ type: 'threat.new', id, data: { source_ip: `198.51.100.${j % 250}`, threat_score: 8.5, threat_level: 'high', timestamp: Date.now() / 1000, event_type: 'ssh_login_attempt' } });
    }
    const t0 = performance.now();
    for (const e of events) sentAt.set(e.id, t0);
    void fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events.length === 1 ? events[0] : { events }),
    }).then(async (res) => {
      ackLatencies.push(performance.now() - t0);
      if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
    });
  }
  await done;
  const elapsedS = (performance.now() - started) / 1000;
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  for (const c of clients) c.ws.close();
  const exitCode = await gw.stop();

  const sorted = latencies.slice(0, samples).sort();
  const acks = Float64Array.from(ackLatencies).sort();
  const outOfOrder = clients.reduce((n, c) => n + c.outOfOrder, 0);
  const cpu = /^process_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1];
  const result = {
    clients: CLIENTS,
    events: EVENTS,
    offered_rate_per_s: RATE,
    batch: BATCH,
    write_delay_ms: Number(values['write-delay-ms']),
    deliveries: samples,
    expected_deliveries: CLIENTS * EVENTS,
    out_of_order: outOfOrder,
    elapsed_s: Math.round(elapsedS * 100) / 100,
    latency_ms: {
      p50: +quantile(sorted, 0.5).toFixed(2),
      p90: +quantile(sorted, 0.9).toFixed(2),
      p99: +quantile(sorted, 0.99).toFixed(2),
      max: +(sorted[sorted.length - 1] ?? NaN).toFixed(2),
    },
    publish_ack_ms: { p50: +quantile(acks, 0.5).toFixed(2), p99: +quantile(acks, 0.99).toFixed(2) },
    gateway_cpu_s: cpu === undefined ? null : Number(cpu),
    gateway_exit_code: exitCode,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${CLIENTS} clients × ${EVENTS} events (${RATE}/s offered, batch ${BATCH}, NS_WRITE_DELAY_MS=${result.write_delay_ms})`);
    console.log(`delivered ${samples}/${CLIENTS * EVENTS}, out of order ${outOfOrder}, in ${result.elapsed_s} s`);
    console.log(`publish → receive  p50 ${result.latency_ms.p50} ms  p90 ${result.latency_ms.p90} ms  p99 ${result.latency_ms.p99} ms  max ${result.latency_ms.max} ms`);
    console.log(`publish → 202 ack  p50 ${result.publish_ack_ms.p50} ms  p99 ${result.publish_ack_ms.p99} ms`);
    console.log(`gateway CPU ${result.gateway_cpu_s} s; exit ${exitCode}`);
  }
  if (samples !== CLIENTS * EVENTS || outOfOrder > 0 || exitCode !== 0) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
