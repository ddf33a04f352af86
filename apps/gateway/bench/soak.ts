/**
 * Soak test (not part of CI): the REAL built gateway as a child process under steady publishing and
 * churning clients for `--minutes`, reporting its RSS over time, delivered/expected for the steady
 * clients, and the close codes every client saw.
 *
 *   npm run soak -- --minutes 10                      # root script: build, then this file
 *   npx tsx apps/gateway/bench/soak.ts [--minutes 1] [--rate 200] [--steady 100] [--churn 10] [--slow-every-s 30] [--json]
 *
 * - steady clients (`--steady`) subscribe to threats, alerts and status for the whole run and must
 *   receive every acknowledged event of those channels, in seq order, without a duplicate;
 * - the publisher POSTs `--rate` events per second in 10 batches a second (threat.new, alert.new,
 *   status.update), counting what was acknowledged (202);
 * - churning clients (`--churn` new ones a second) subscribe, stay 0.5–5 s, and leave — half with a
 *   close frame, half by resetting the socket; every fifth resumes threats with `since` from a recent cursor;
 * - every `--slow-every-s` seconds a client that never reads joins and must be closed with 4008.
 *
 * Exits 1 when a steady client missed or duplicated an event, a client saw an unexpected close code,
 * or the gateway died.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    rate: { type: 'string', default: '200' },
    steady: { type: 'string', default: '100' },
    churn: { type: 'string', default: '10' },
    'slow-every-s': { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const STEADY = Number(values.steady);
const CHURN = Number(values.churn);
const SLOW_EVERY_S = Number(values['slow-every-s']);
const CHANNELS = ['threats', 'alerts', 'status'] as const;
type Channel = (typeof CHANNELS)[number];

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing; run \`npm run build\` first (\`npm run soak\` does)`);
  process.exit(2);
}

const log = (line: string) => {
  if (!values.json) console.log(line);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the gateway ----------------------------------------------------------------------------------

async function startGateway(): Promise<{ url: string; pid: number; exited: Promise<number | null>; stop: () => Promise<number | null> }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...env, NS_AUTH: 'none', NS_PORT: '0', NS_LOG_LEVEL: 'warn', NS_IP_CONNECT_RATE: '10000', NS_PUBLISH_RATE: '100000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1] as string, pid: child.pid as number, exited, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`gateway exited (${code}):\n${err}`)));
  });
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ')[1]);
}

// --- clients --------------------------------------------------------------------------------------

const closeCodes = new Map<string, number>();
const countClose = (kind: string, code: number) => closeCodes.set(`${kind} ${code}`, (closeCodes.get(`${kind} ${code}`) ?? 0) + 1);

interface Steady {
  ws: WebSocket;
  received: Record<Channel, number>;
  lastSeq: Partial<Record<Channel, number>>;
  problems: string[];
}

function openSteady(wsUrl: string): Promise<Steady> {
  const ws = new WebSocket(`${wsUrl}?subscribe=${CHANNELS.join(',')}`);
  const s: Steady = { ws, received: { threats: 0, alerts: 0, status: 0 }, lastSeq: {}, problems: [] };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; channel?: Channel; seq?: number };
    if (!m.type.includes('.') || m.channel === undefined || m.seq === undefined) return;
    const last = s.lastSeq[m.channel];
    if (last !== undefined && m.seq !== last + 1) s.problems.push(`${m.channel}: seq ${m.seq} after ${last}`);
    s.lastSeq[m.channel] = m.seq;
    s.received[m.channel]++;
  });
  ws.on('close', (code) => countClose('steady', code));
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    let subscribed = 0;
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'subscribed' && ++subscribed === CHANNELS.length) resolve(s);
    });
    ws.once('error', reject);
  });
}

let churned = 0;
let resumed = 0;
let resumeProblems = 0; // recovered:false answers (a cursor older than the retained history)
let lastThreatCursor: { epoch: string; seq: number } | undefined;

function churnOne(wsUrl: string): void {
  const n = ++churned;
  const resume = n % 5 === 0 && lastThreatCursor !== undefined;
  const ws = new WebSocket(resume ? wsUrl : `${wsUrl}?subscribe=threats,status`);
  const stayMs = 500 + Math.random() * 4_500;
  ws.on('error', () => {});
  ws.on('open', () => {
    if (resume) {
      resumed++;
      ws.send(JSON.stringify({ type: 'subscribe', id: 'r', channel: 'threats', since: lastThreatCursor }));
    }
    setTimeout(() => {
      if (n % 2 === 0) ws.close(1000);
      else ws.terminate();
    }, stayMs);
  });
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; id?: string; recovered?: boolean; channel?: string; epoch?: string; seq?: number };
    if (m.id === 'r' && m.type === 'subscribed' && m.recovered !== true) resumeProblems++;
    if (m.type === 'threat.new' && m.epoch !== undefined && m.seq !== undefined) lastThreatCursor = { epoch: m.epoch, seq: m.seq };
  });
  ws.on('close', (code) => countClose('churn', code));
}

const slowClients: WebSocket[] = [];

function slowOne(wsUrl: string): void {
  const ws = new WebSocket(`${wsUrl}?subscribe=threats`);
  slowClients.push(ws);
  ws.on('error', () => {});
  // Stops reading once subscribed: its socket fills until the gateway gives up on it (4008).
  ws.on('message', (data) => {
    if ((JSON.parse(String(data)) as { type: string }).type === 'subscribed') socketOf(ws)?.pause();
  });
  ws.on('close', (code) => countClose('slow', code));
}

const socketOf = (ws: WebSocket) => (ws as unknown as { _socket?: { pause(): void; resume(): void } })._socket;

// --- publishing -----------------------------------------------------------------------------------

const acknowledged: Record<Channel, number> = { threats: 0, alerts: 0, status: 0 };
const publishStatuses = new Map<number, number>();
let published = 0;

function eventFor(i: number): { type: string; data: Record<string, unknown> } {
  const now = Date.now() / 1000;
  // ~1 KB events: enough traffic for a never-reading client to hit its 1 MiB cap (4008) before the
  // heartbeat gives up on it (it cannot answer pings either).
  const pad = { indicators: Array.from({ length: 8 }, (_, k) => `ioc-${i}-${k}-${'x'.repeat(100)}`) };
  if (i % 10 === 0) return { type: 'alert.new', data: { id: `a-${i}`, severity: 'high', message: `soak alert ${i}`, timestamp: now } };
  if (i % 10 === 1) return { type: 'status.update', data: { component: `c${i % 7}`, status: 'healthy', metrics: { i } } };
  return { type: 'threat.new', data: { source_ip: `10.1.${(i >> 8) & 255}.${i & 255}`, threat_score: i % 10, threat_level: 'medium', timestamp: now, ...pad } };
}

async function publishBatch(url: string, n: number): Promise<void> {
  const events = Array.from({ length: n }, () => eventFor(published++));
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  publishStatuses.set(res.status, (publishStatuses.get(res.status) ?? 0) + 1);
  await res.arrayBuffer();
  if (res.status !== 202) return;
  for (const e of events) acknowledged[e.type.startsWith('alert') ? 'alerts' : e.type.startsWith('status') ? 'status' : 'threats']++;
}

// --- the run --------------------------------------------------------------------------------------

const gw = await startGateway();
const wsUrl = `${gw.url.replace(/^http/, 'ws')}/ws`;
let gatewayDied = false;
let stopping = false;
void gw.exited.then(() => (gatewayDied = !stopping));
log(`soak: ${MINUTES} min, ${RATE} events/s, ${STEADY} steady clients, ${CHURN} churning/s, a never-reading client every ${SLOW_EVERY_S} s — gateway ${gw.url} (pid ${gw.pid})`);

const steady: Steady[] = [];
for (let i = 0; i < STEADY; i++) steady.push(await openSteady(wsUrl));

const samples: { t: number; rssMiB: number; connections: number; healthzMs: number }[] = [];
const started = Date.now();
const endAt = started + MINUTES * 60_000;
const sample = async () => {
  // A /healthz round trip: how long the loaded gateway takes to answer anything.
  const t0 = performance.now();
  await (await fetch(`${gw.url}/healthz`)).arrayBuffer();
  const healthzMs = Math.round((performance.now() - t0) * 10) / 10;
  const s = {
    t: Math.round((Date.now() - started) / 1000),
    rssMiB: Math.round(rssMiB(gw.pid) * 10) / 10,
    connections: await metric(gw.url, 'ns_ws_connections'),
    healthzMs,
  };
  samples.push(s);
  log(`  t=${String(s.t).padStart(4)} s  rss ${s.rssMiB.toFixed(1)} MiB  connections ${s.connections}  /healthz ${s.healthzMs} ms  published ${published}`);
};
await sample();

const timers = [
  setInterval(() => void publishBatch(gw.url, Math.max(1, Math.round(RATE / 10))).catch(() => publishStatuses.set(0, (publishStatuses.get(0) ?? 0) + 1)), 100),
  setInterval(() => {
    for (let i = 0; i < CHURN; i++) churnOne(wsUrl);
  }, 1_000),
  setInterval(() => slowOne(wsUrl), SLOW_EVERY_S * 1_000),
  setInterval(() => void sample(), 10_000),
];
while (Date.now() < endAt && !gatewayDied) await sleep(250);
for (const t of timers) clearInterval(t);

// Let the last publishes land and the fan-out drain.
await sleep(3_000);
const expected = { ...acknowledged };
const deadline = Date.now() + 30_000;
while (Date.now() < deadline && steady.some((s) => CHANNELS.some((c) => s.received[c] < expected[c]))) await sleep(200);
await sample();
const slowCloses = await metric(gw.url, 'ns_slow_consumer_closes_total');
const heartbeatTerminations = await metric(gw.url, 'ns_heartbeat_terminations_total');
// Never-reading clients read again: those the gateway closed find its 4008 (or, after its 5 s close
// timeout, a reset); ones that never filled their buffer are simply let go.
for (const ws of slowClients) socketOf(ws)?.resume();
await sleep(2_000);
const slowStillOpen = slowClients.filter((ws) => ws.readyState === WebSocket.OPEN).length;
for (const ws of slowClients) ws.removeAllListeners('close').terminate();
for (const s of steady) s.ws.close(1000);
await sleep(1_000);
stopping = true;
const exitCode = gatewayDied ? null : await gw.stop();

// --- report ---------------------------------------------------------------------------------------

const deliveredTotal = steady.reduce((n, s) => n + CHANNELS.reduce((m, c) => m + s.received[c], 0), 0);
const expectedTotal = STEADY * CHANNELS.reduce((n, c) => n + expected[c], 0);
const problems = steady.flatMap((s) => s.problems);
const rss = samples.map((s) => s.rssMiB);
const half = samples.slice(Math.floor(samples.length / 2));
const report = {
  minutes: MINUTES,
  published,
  acknowledged: expected,
  publishStatuses: Object.fromEntries(publishStatuses),
  steady: { clients: STEADY, delivered: deliveredTotal, expected: expectedTotal, ratio: expectedTotal === 0 ? 1 : deliveredTotal / expectedTotal, orderProblems: problems.length },
  churn: { connections: churned, resumedWithSince: resumed, resumeNotRecovered: resumeProblems },
  slow: { clients: slowClients.length, closedByGateway: slowCloses, heartbeatTerminations, stillOpenAtEnd: slowStillOpen },
  closeCodes: Object.fromEntries([...closeCodes].sort()),
  rssMiB: { start: rss[0], min: Math.min(...rss), max: Math.max(...rss), end: rss.at(-1), secondHalfMin: Math.min(...half.map((s) => s.rssMiB)), secondHalfMax: Math.max(...half.map((s) => s.rssMiB)) },
  samples,
  gateway: { died: gatewayDied, exitCode },
};
const allowedClose = (key: string) => /^(steady 1000|steady 1005|churn 1000|churn 1005|churn 1006|slow 4008|slow 1006)$/.test(key);
const unexpectedCloses = [...closeCodes.keys()].filter((k) => !allowedClose(k));
const ok = !gatewayDied && deliveredTotal === expectedTotal && problems.length === 0 && unexpectedCloses.length === 0;

if (values.json) console.log(JSON.stringify({ ok, ...report }, null, 2));
else {
  log('');
  log(`published ${published} events (${JSON.stringify(report.publishStatuses)} by HTTP status); acknowledged ${JSON.stringify(expected)}`);
  log(`steady clients: delivered ${deliveredTotal} / expected ${expectedTotal} (${(report.steady.ratio * 100).toFixed(3)} %), order problems ${problems.length}`);
  log(`churn: ${churned} connections, ${resumed} resumed with since (${resumeProblems} answered recovered:false: cursor older than the history); never-reading clients ${slowClients.length}, closed 4008 by the gateway ${slowCloses}, heartbeat terminations ${heartbeatTerminations}, not yet full at the end ${slowStillOpen}`);
  log(`close codes seen by clients: ${JSON.stringify(report.closeCodes)}`);
  log(`gateway RSS MiB: start ${report.rssMiB.start}, min ${report.rssMiB.min}, max ${report.rssMiB.max}, end ${report.rssMiB.end} (second half ${report.rssMiB.secondHalfMin}–${report.rssMiB.secondHalfMax})`);
  log(`gateway ${gatewayDied ? 'DIED' : `stopped with exit code ${exitCode}`}`);
  if (unexpectedCloses.length > 0) log(`unexpected close codes: ${unexpectedCloses.join(', ')}`);
  if (problems.length > 0) log(`first order problems: ${problems.slice(0, 5).join('; ')}`);
  log(ok ? 'SOAK OK' : 'SOAK FAILED');
}
process.exit(ok ? 0 : 1);
