/**
 * Fan-out benchmark (docs/architecture.md#fan-out): server CPU µs per delivered message at N subscribers, WsManager versus a
 * plain `ws` loop `for (c of clients) c.send(json)`, measured in the same run with the same load
 * generator and the same event source (an EventBus publishing paced threat events of ~270 bytes).
 *
 *   npx tsx packages/ws-manager/bench/fanout.bench.ts [--clients=1000] [--events=1000] [--rate=2000]
 *        [--burst=1] [--window=2] [--runs=3] [--modes=plain,ns]
 *
 * Events are published at `rate` per second in bursts of `burst` back-to-back publishes (burst 1 =
 * steady). With fewer than one event per coalescing window there is nothing to coalesce, and both sides
 * pay one TCP segment per delivered message; the gain then comes from framing once only.
 *
 * Three processes per run: this orchestrator; the server (`--role=server`), which measures its own CPU
 * with process.cpuUsage() from the first publish until the load generator has counted every frame; and
 * the load generator (`--role=loadgen`): raw TCP sockets that do the WebSocket handshake and then only
 * parse frame headers to count frames — far cheaper per message than the server.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

type Mode = 'plain' | 'ns';
interface Args {
  role: 'orchestrator' | 'server' | 'loadgen';
  mode: Mode;
  clients: number;
  events: number;
  rate: number;
  burst: number;
  window: number;
  runs: number;
  modes: Mode[];
  port: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  return {
    role: get('role', 'orchestrator') as Args['role'],
    mode: get('mode', 'ns') as Mode,
    clients: Number(get('clients', '1000')),
    events: Number(get('events', '1000')),
    rate: Number(get('rate', '2000')),
    burst: Number(get('burst', '1')),
    window: Number(get('window', '2')),
    runs: Number(get('runs', '3')),
    modes: get('modes', 'plain,ns').split(',') as Mode[],
    port: Number(get('port', '0')),
  };
}

const args = parseArgs(process.argv.slice(2));
const self = fileURLToPath(import.meta.url);
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const userMicros = () => process.cpuUsage().user;

// ------------------------------------------------------------------------------------------------
// Server child: EventBus → (WsManager | plain ws loop) → N sockets.

async function server(): Promise<void> {
  const { UNRESTRICTED_PRINCIPAL } = await import('@ns/contracts');
  const { EventBus } = await import('@ns/event-bus');
  const { WebSocketServer } = await import('ws');
  const { WsManager } = await import('../src/ws-manager.js');

  const bus = new EventBus();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const httpServer = http.createServer();
  const plainClients: import('ws').WebSocket[] = [];
  let manager: InstanceType<typeof WsManager> | undefined;
  let ready = 0;

  if (args.mode === 'ns') {
    manager = new WsManager({ bus, writeDelayMs: args.window, heartbeatMs: 600_000, pongTimeoutMs: 600_000 });
  } else {
    bus.subscribe('threats', (event) => {
      const json = event.json;
      for (const c of plainClients) c.send(json);
    });
  }

  httpServer.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (manager !== undefined) {
        const connection = manager.accept(ws, socket, { principal: UNRESTRICTED_PRINCIPAL });
        connection.open();
        void manager.subscribe(connection, { type: 'subscribe', channel: 'threats' }).then(() => {
          if (++ready === args.clients) process.send?.({ type: 'ready' });
        });
      } else {
        plainClients.push(ws);
        if (++ready === args.clients) process.send?.({ type: 'ready' });
      }
    });
  });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  process.send?.({ type: 'listening', port: (httpServer.address() as AddressInfo).port });

  let cpuStart = 0;
  let userStart = 0;
  let wallStart = 0;
  process.on('message', async (msg: { type: string }) => {
    if (msg.type === 'go') {
      cpuStart = cpuMicros();
      userStart = userMicros();
      wallStart = performance.now();
      await publishPaced(bus);
      process.send?.({ type: 'published' });
    } else if (msg.type === 'measure') {
      process.send?.({ type: 'measured', cpuMicros: cpuMicros() - cpuStart, userMicros: userMicros() - userStart, wallMs: performance.now() - wallStart, rssMb: process.memoryUsage().rss / 2 ** 20 });
    }
  });
}

/** Publishes `args.events` threat events at `args.rate` per second (as fast as possible when behind). */
async function publishPaced(bus: import('@ns/event-bus').EventBus): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < args.events) {
    const bursts = Math.floor(((performance.now() - start) / 1000) * (args.rate / args.burst)) + 1;
    const due = Math.min(args.events, bursts * args.burst);
    while (sent < due) {
      await bus.publish({
        type: 'threat.new',
        data: {
          source_ip: `192.168.${(sent >> 8) & 255}.${sent & 255}`,
          threat_score: 8.5,
          threat_level: 'high',
          timestamp: 1764115200.101,
          event_type: 'ssh_bruteforce',
          indicators: ['multiple_failed_logins', 'known_bad_ip'],
          dst_port: 22,
        },
      });
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// ------------------------------------------------------------------------------------------------
// Load generator child: raw sockets, handshake, then count frames by parsing headers only.

async function loadgen(): Promise<void> {
  let frames = 0;
  let bytes = 0;
  let target = Infinity;
  const request =
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${args.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

  const check = () => {
    if (frames >= target) {
      target = Infinity;
      process.send?.({ type: 'done', frames, bytes, cpuMicros: cpuMicros() - loadCpuStart });
    }
  };
  let loadCpuStart = cpuMicros();

  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(args.port, '127.0.0.1');
      let handshaken = false;
      let head = '';
      // Frame parser state: bytes still to skip in the current payload, and a partial header.
      let skip = 0;
      let partial: Buffer | undefined;
      socket.on('error', reject);
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk: Buffer) => {
        let buf = chunk;
        if (!handshaken) {
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          handshaken = true;
          resolve();
          buf = chunk.subarray(chunk.length - (head.length - end - 4));
        }
        bytes += buf.length;
        if (partial !== undefined) {
          buf = Buffer.concat([partial, buf]);
          partial = undefined;
        }
        let i = 0;
        while (i < buf.length) {
          if (skip > 0) {
            const n = Math.min(skip, buf.length - i);
            skip -= n;
            i += n;
            continue;
          }
          if (buf.length - i < 2) {
            partial = buf.subarray(i);
            break;
          }
          let len = (buf[i + 1] as number) & 0x7f;
          let header = 2;
          if (len === 126) header = 4;
          else if (len === 127) header = 10;
          if (buf.length - i < header) {
            partial = buf.subarray(i);
            break;
          }
          if (len === 126) len = buf.readUInt16BE(i + 2);
          else if (len === 127) len = Number(buf.readBigUInt64BE(i + 2));
          frames++;
          i += header;
          skip = len;
        }
        check();
      });
    });

  for (let k = 0; k < args.clients; k += 100) await Promise.all(Array.from({ length: Math.min(100, args.clients - k) }, open));
  process.send?.({ type: 'connected' });
  process.on('message', (msg: { type: string; frames?: number }) => {
    if (msg.type === 'expect') {
      loadCpuStart = cpuMicros();
      // `frames` counts every frame since connect, including setup replies (`subscribed`).
      target = msg.frames as number;
      process.send?.({ type: 'expecting' });
      check();
    }
  });
}

// ------------------------------------------------------------------------------------------------
// Orchestrator.

function child(role: 'server' | 'loadgen', extra: string[]): ChildProcess {
  return fork(self, [`--role=${role}`, ...process.argv.slice(2).filter((a) => !a.startsWith('--role=')), ...extra], {
    execArgv: [...process.execArgv, '--conditions=@ns/source'],
  });
}

function next<T extends { type: string }>(proc: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (m.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) while waiting for ${type}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

interface RunResult {
  mode: Mode;
  usPerMessage: number;
  userUsPerMessage: number;
  loadgenUsPerMessage: number;
  wallMs: number;
  rssMb: number;
}

async function run(mode: Mode): Promise<RunResult> {
  const srv = child('server', [`--mode=${mode}`]);
  try {
    const { port } = await next<{ type: string; port: number }>(srv, 'listening');
    const ready = next(srv, 'ready');
    const gen = child('loadgen', [`--port=${port}`]);
    try {
      await next(gen, 'connected');
      await ready;
      // WsManager connections get one `subscribed` reply each during setup; plain ones get nothing.
      const setupFrames = mode === 'ns' ? args.clients : 0;
      gen.send({ type: 'expect', frames: setupFrames + args.clients * args.events });
      await next(gen, 'expecting');
      const done = next<{ type: string; frames: number; cpuMicros: number }>(gen, 'done');
      srv.send({ type: 'go' });
      const result = await done;
      srv.send({ type: 'measure' });
      const m = await next<{ type: string; cpuMicros: number; userMicros: number; wallMs: number; rssMb: number }>(srv, 'measured');
      const delivered = args.clients * args.events;
      return { mode, usPerMessage: m.cpuMicros / delivered, userUsPerMessage: m.userMicros / delivered, loadgenUsPerMessage: result.cpuMicros / delivered, wallMs: m.wallMs, rssMb: m.rssMb };
    } finally {
      gen.kill();
    }
  } finally {
    srv.kill();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function orchestrate(): Promise<void> {
  console.log(`fan-out: ${args.clients} subscribers, ${args.events} events at ${args.rate}/s in bursts of ${args.burst}, window ${args.window} ms, ${args.runs} runs (modes alternate)`);
  const results: RunResult[] = [];
  for (let r = 0; r < args.runs; r++) {
    for (const mode of args.modes) {
      const res = await run(mode);
      results.push(res);
      console.log(
        `  run ${r + 1} ${mode.padEnd(5)} server ${res.usPerMessage.toFixed(3)} µs/msg (user ${res.userUsPerMessage.toFixed(3)})   loadgen ${res.loadgenUsPerMessage.toFixed(3)} µs/msg   wall ${res.wallMs.toFixed(0)} ms   rss ${res.rssMb.toFixed(0)} MB`,
      );
    }
  }
  const med = (mode: Mode) => median(results.filter((r) => r.mode === mode).map((r) => r.usPerMessage));
  console.log('median server CPU per delivered message:');
  for (const mode of args.modes) console.log(`  ${mode.padEnd(5)} ${med(mode).toFixed(3)} µs`);
  if (args.modes.includes('plain') && args.modes.includes('ns')) {
    const ratios = [];
    for (let r = 0; r < args.runs; r++) {
      const p = results[r * args.modes.length + args.modes.indexOf('plain')] as RunResult;
      const n = results[r * args.modes.length + args.modes.indexOf('ns')] as RunResult;
      ratios.push(n.usPerMessage / p.usPerMessage);
    }
    console.log(`ns / plain: median of per-run ratios ${median(ratios).toFixed(3)}  (runs: ${ratios.map((x) => x.toFixed(3)).join(', ')})`);
  }
}

if (args.role === 'server') await server();
else if (args.role === 'loadgen') await loadgen();
else await orchestrate();
