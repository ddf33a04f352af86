/**
 * Hidden classes (V8 maps) a server creates per connection, side by side with plain `ws`:
 *
 *   npm run build && npx tsx apps/bench/src/hidden-classes.ts [--servers=gateway,gateway-sse,ws] [--connections=2000]
 *
 * Each server runs with `--log-maps`: V8 logs every map it creates. After `--warm` connections (the
 * code paths and their shared maps exist by then), the log is marked, `--connections` more subscribed
 * connections are opened, and the map transitions logged in between are counted per connection and
 * grouped by the function that made them. A map made per object is garbage once the object
 * goes, descriptor arrays and inline-cache handlers with it, and code that meets a new map each time
 * stays megamorphic. On Node 20, `{ ...x, key }` is one such source; `node:net`'s Socket is another
 * (it sets options on a spread copy), in every server alike.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SubscriberPool } from './load/subscriber-pool.js';
import { launchServer } from './servers/launch.js';
import { PROTOCOL_OF, SERVER_KINDS, SERVER_LABELS, type ServerKind } from './servers/server-kinds.js';

const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'gateway,gateway-sse,ws' },
    connections: { type: 'string', default: '2000' },
    warm: { type: 'string', default: '500' },
  },
});
const kinds = (values.servers as string).split(',').map((k) => {
  if (!(SERVER_KINDS as readonly string[]).includes(k)) throw new Error(`--servers: unknown server "${k}" (one of ${SERVER_KINDS.join(', ')})`);
  return k as ServerKind;
});
const connections = Number(values.connections);
const warm = Number(values.warm);
if (!(Number.isInteger(connections) && connections > 0 && Number.isInteger(warm) && warm >= 0)) throw new Error('--connections and --warm: whole numbers');

/** The function whose code holds each address, from the log's `code-creation` lines (latest wins). */
function codeIndex(text: string): (pc: number) => string | undefined {
  const code: { start: number; end: number; name: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('code-creation,')) continue;
    // code-creation,type,kind,time,address,size,name[,...]
    const f = line.split(',');
    const start = Number.parseInt(f[4] ?? '', 16);
    const size = Number(f[5]);
    if (Number.isFinite(start) && size > 0) code.push({ start, end: start + size, name: f[6] ?? '?' });
  }
  // Thousands of transitions come from a handful of sites: each address is looked up once.
  const seen = new Map<number, string | undefined>();
  return (pc) => {
    if (seen.has(pc)) return seen.get(pc);
    let name: string | undefined;
    for (let i = code.length - 1; i >= 0 && name === undefined; i--) {
      const c = code[i] as (typeof code)[number];
      if (pc >= c.start && pc < c.end) name = c.name;
    }
    seen.set(pc, name);
    return name;
  };
}

/** Map transitions in `text`, grouped by the function that made them and the property added. */
function transitions(text: string, functionAt: (pc: number) => string | undefined): { total: number; bySource: Map<string, number> } {
  // map,Transition,time,from,to,pc,line,column,reason,name ("prototype": the map was in no transition tree)
  const lines = text.split('\n').filter((l) => l.startsWith('map,Transition,')).map((l) => l.split(','));
  // Optimized code is not always in the index: its position is then named by unoptimized code's.
  const byPosition = new Map<string, string>();
  const named = lines.map((f) => {
    const where = functionAt(Number.parseInt(f[5] ?? '', 16));
    if (where !== undefined) byPosition.set(`${f[6]}:${f[7]}`, where);
    return where;
  });
  const bySource = new Map<string, number>();
  lines.forEach((f, i) => {
    const where = named[i] ?? byPosition.get(`${f[6]}:${f[7]}`) ?? `line ${f[6]}:${f[7]} of some script`;
    const key = `${where}: adds ${f[9] ?? '?'}${f[8] === 'prototype' ? ' to a detached map' : ''}`;
    bySource.set(key, (bySource.get(key) ?? 0) + 1);
  });
  return { total: lines.length, bySource };
}

const rows: string[] = [];
for (const kind of kinds) {
  const dir = mkdtempSync(join(tmpdir(), 'ns-maps-'));
  const logFile = join(dir, 'v8.log');
  const server = await launchServer(kind, { nodeArgs: ['--log-maps', `--logfile=${logFile}`, '--no-logfile-per-isolate'] });
  const pool = new SubscriberPool();
  try {
    const open = (count: number, firstIndex: number) =>
      pool.open({ protocol: PROTOCOL_OF[kind], host: '127.0.0.1', port: server.port, count, firstIndex, filter: 'none', track: false, sourceAddresses: 1, concurrency: 20 });
    await open(warm, 0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const mark = readFileSync(logFile).length;
    const opened = await open(connections, warm);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const log = readFileSync(logFile);
    const { total, bySource } = transitions(log.subarray(mark).toString(), codeIndex(log.toString()));
    const per = opened.opened === 0 ? NaN : total / opened.opened;
    rows.push(`${SERVER_LABELS[kind].padEnd(24)} ${String(opened.opened).padStart(6)} connections  ${per.toFixed(2)} map transitions per connection`);
    for (const [source, n] of [...bySource].sort((a, b) => b[1] - a[1])) {
      if (n >= opened.opened / 10) rows.push(`    ${(n / opened.opened).toFixed(2)}  at ${source}`);
    }
  } finally {
    await pool.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(rows.join('\n'));
