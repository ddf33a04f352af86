/**
 * `npm run bench -w @ns/bench [-- --full] [--servers=gateway,ws] [--only=fanout-1k,heap] [--name=<file name>] [--no-write] [--render]`
 *
 * Runs the quick profile (under 3 minutes) or, with `--full`, every scenario of issue 8, on the gateway
 * (memory engine; Redis engine with 2 processes), a plain `ws` broadcast loop and Socket.IO, and writes
 * `results/<profile>.json`, `.md` and `.svg` (or `results/<name>.*`). Loopback only; every child process is killed by PID at
 * the end, also on failure or Ctrl-C.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { loadAverage } from './measure/proc-stat.js';
import { installCleanup, killAll } from './measure/processes.js';
import { RESULTS_DIR } from './paths.js';
import { FULL, QUICK, type Step } from './profiles.js';
import { renderMarkdown } from './report/markdown.js';
import type { BenchResults, RunFigures } from './report/results.js';
import { renderChart } from './report/svg-chart.js';
import { checkTargets } from './report/targets.js';
import { runCapacity } from './scenarios/capacity.js';
import { runFanout } from './scenarios/fanout.js';
import { runHeap } from './scenarios/heap.js';
import { runIngest } from './scenarios/ingest.js';
import { runStorm } from './scenarios/reconnect-storm.js';
import { emptyFigures } from './scenarios/run-support.js';
import { DEFAULT_SERVER_KINDS, SERVER_KINDS, SERVER_LABELS, type ServerKind } from './servers/server-kinds.js';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    servers: { type: 'string' },
    /** Scenario id prefixes, comma-separated. */
    only: { type: 'string' },
    /** Result file name instead of the profile's (a subset run must not replace the whole profile's results). */
    name: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    /** Re-render results/<profile>.md and .svg from the JSON, without running anything. */
    render: { type: 'boolean', default: false },
  },
});

function writeReport(results: BenchResults, name: string = results.profile): void {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`--name: letters, digits, '.', '-' and '_' only (got "${name}")`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.svg`), renderChart(results));
  writeFileSync(join(RESULTS_DIR, `${name}.md`), renderMarkdown(results, `${name}.svg`));
}

function fdLimit(): string {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function runStep(step: Step, server: ServerKind, log: (line: string) => void): Promise<RunFigures> {
  switch (step.kind) {
    case 'fanout':
      return runFanout(server, step.spec, log);
    case 'capacity':
      return runCapacity(server, step.spec, log);
    case 'ingest':
      return runIngest(server, step.spec, log);
    case 'storm':
      return runStorm(server, step.spec, log);
    case 'heap':
      return runHeap(server, step.spec, log);
  }
}

function summary(r: RunFigures): string {
  const parts = [`delivered ${r.delivered}/${r.expected}`];
  if (r.cpuUsPerDelivery !== null) parts.push(`${r.cpuUsPerDelivery} µs CPU/delivery`);
  if (r.latencyMs !== null && r.kind !== 'storm') parts.push(`p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} ms`);
  if (r.rssPerConnKB !== null) parts.push(`${r.rssPerConnKB} KB/conn`);
  if (r.kind === 'heap') parts.push(`heap ${r.extra['heap_bytes_per_connection']} B/conn: ${(r.heapPerConnection ?? []).slice(0, 6).map((h) => `${h.type} ${h.bytes}`).join(', ')}`);
  if (r.kind === 'ingest') parts.push(`${r.extra['events_per_s']} events/s`);
  if (r.kind === 'storm') parts.push(`recovered ${r.extra['recovered']}, storm ${r.extra['storm_s']} s, caught-up p99 ${r.latencyMs?.p99} ms`);
  return parts.join(', ');
}

async function main(): Promise<number> {
  installCleanup();
  const profile = values.full ? 'full' : 'quick';
  if (values.render) {
    const name = values.name ?? profile;
    writeReport(JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as BenchResults, name);
    console.log(`re-rendered ${join(RESULTS_DIR, name)}.{md,svg}`);
    return 0;
  }
  const wanted = values.servers === undefined ? [...DEFAULT_SERVER_KINDS] : (values.servers.split(',') as ServerKind[]);
  for (const s of wanted) if (!SERVER_KINDS.includes(s)) throw new Error(`unknown server "${s}" (one of ${SERVER_KINDS.join(', ')})`);
  const prefixes = values.only?.split(',').filter((p) => p !== '');
  const steps = (values.full ? FULL : QUICK).filter((s) => prefixes === undefined || prefixes.some((p) => s.spec.scenario.startsWith(p)));
  const startedAt = new Date();
  const loadAvgStart = loadAverage();
  console.log(`bench: ${profile} profile, ${steps.length} scenarios, load average ${loadAvgStart.join(' ')}`);
  const runs: RunFigures[] = [];
  for (const step of steps) {
    console.log(`${step.spec.title}`);
    for (const server of step.servers.filter((s) => wanted.includes(s))) {
      const t = Date.now();
      try {
        const fig = await runStep(step, server, console.log);
        runs.push(fig);
        console.log(`  ${SERVER_LABELS[server].padEnd(26)} ${summary(fig)}  (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      } catch (err) {
        // A failed run is a result too (reported, not hidden); the other runs go on.
        const fig = emptyFigures({ scenario: step.spec.scenario, kind: step.kind === 'fanout' && step.spec.filter !== 'none' ? 'filtered' : step.kind, title: step.spec.title, server, subscribers: 0 });
        fig.errors.push((err as Error).message.slice(0, 500));
        fig.lossPct = 100;
        runs.push(fig);
        console.log(`  ${SERVER_LABELS[server].padEnd(26)} FAILED: ${(err as Error).message.slice(0, 300)}`);
      }
    }
  }
  const results: BenchResults = {
    profile,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, fdLimit: fdLimit(), loadAvgStart, loadAvgEnd: loadAverage() },
    runs,
  };
  console.log('\ntargets:');
  for (const t of checkTargets(results)) console.log(`  ${t.met === null ? '  -  ' : t.met ? ' met ' : 'MISSED'}  ${t.target}: ${t.measured}`);
  if (!values['no-write']) {
    writeReport(results, values.name);
    console.log(`\nwrote ${join(RESULTS_DIR, values.name ?? profile)}.{json,md,svg} in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
  }
  return 0;
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err: unknown) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
