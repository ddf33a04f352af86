import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { startRedisCluster, startRedisServer, type TestRedisCluster, type TestRedisServer } from '@ns/testkit';
import { childPids } from '../measure/proc-stat.js';
import { spawnTracked, stopChild, trackPid } from '../measure/processes.js';
import { BENCH_DIR, GATEWAY_CLI } from '../paths.js';
import type { ServerKind } from './server-kinds.js';

/** A server under test, running in its own process(es). */
export interface RunningServer {
  kind: ServerKind;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every process whose CPU and memory count for this server: node process(es), plus redis-server(s). */
  pids(): number[];
  /** Its node processes only (for signals meant for them). */
  nodePids(): number[];
  stop(): Promise<void>;
}

/** Options of {@link launchServer}. */
export interface LaunchOptions {
  /** Socket.IO connection state recovery (reconnect storm). */
  recovery?: boolean;
  /** Gateway coalescing window (`NS_WRITE_DELAY_MS`); default the gateway's own (2 ms). */
  writeDelayMs?: number;
  /** Extra `node` flags for the server process (e.g. `--heapsnapshot-signal`). */
  nodeArgs?: string[];
}

/** Gateway settings for a load test: connection limits out of the way, quiet logs. */
function gatewayEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  return {
    ...env,
    NS_HOST: '127.0.0.1',
    NS_PORT: '0',
    NS_LOG_LEVEL: 'warn',
    // Loopback only, and the bench measures delivery, not authentication.
    NS_AUTH: 'none',
    NS_MAX_CONNECTIONS: '1000000',
    NS_IP_MAX_CONNECTIONS: '1000000',
    NS_IP_CONNECT_RATE: '1000000',
    NS_PUBLISH_RATE: '1000000',
    NS_SHUTDOWN_GRACE_S: '3',
    ...extra,
  };
}

/** Waits for the `listening on http://…` line every server under test prints on stderr. */
function listening(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/[\d.:]+)/.exec(err);
      if (m !== null) {
        child.off('exit', onExit);
        child.stderr?.off('data', onData);
        resolve(m[1] as string);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${name} exited (${code}) before listening:\n${err.slice(-2000)}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    setTimeout(() => reject(new Error(`${name}: not listening after 30 s:\n${err.slice(-2000)}`)), 30_000).unref();
  });
}

/** Open sockets of a process (entries of /proc/<pid>/fd that are sockets). */
function socketCount(pid: number): number {
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return n;
}

/**
 * Until every cluster worker serves: the primary hands each new connection round-robin to the
 * workers that listen, so a few plain TCP connections that raise every worker's socket count mean all
 * of them take connections. (Read from /proc: the gateway's /metrics speaks for the whole cluster.)
 */
async function allWorkersServing(port: number, workerPids: readonly number[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const before = workerPids.map(socketCount);
    const sockets = await Promise.all(
      Array.from({ length: 2 * workerPids.length }, () => new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', reject);
      })),
    );
    await new Promise((r) => setTimeout(r, 100));
    const after = workerPids.map(socketCount);
    for (const s of sockets) s.destroy();
    if (after.every((n, i) => n > (before[i] as number))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not every gateway worker (${workerPids.join(', ')}) takes connections`);
}

/**
 * Node flags for every server under test from `BENCH_NODE_ARGS` (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its CPU goes: NODE_OPTIONS refuses --cpu-prof, and
 * would reach the load generator too.
 */
function benchNodeArgs(): string[] {
  return (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
}

/** The redis-server processes behind a gateway: one, a cluster's masters, or none. */
function redisPidsOf(redis: TestRedisServer | TestRedisCluster | undefined): number[] {
  if (redis === undefined) return [];
  const servers = 'nodes' in redis ? redis.nodes : [redis];
  return servers.flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
}

/** Starts a server under test on a free loopback port. */
export async function launchServer(kind: ServerKind, options: LaunchOptions = {}): Promise<RunningServer> {
  const o = { ...options, nodeArgs: [...benchNodeArgs(), ...(options.nodeArgs ?? [])] };
  // gateway-sse is the same gateway: only its subscribers differ (GET /v1/stream instead of /ws).
  if (kind === 'gateway' || kind === 'gateway-sse' || kind === 'gateway-redis' || kind === 'gateway-cluster') {
    if (!existsSync(GATEWAY_CLI)) throw new Error(`${GATEWAY_CLI} is missing: run \`npm run build\` first`);
    let redis: TestRedisServer | TestRedisCluster | undefined;
    const extra: Record<string, string> = o.writeDelayMs === undefined ? {} : { NS_WRITE_DELAY_MS: String(o.writeDelayMs) };
    if (kind === 'gateway-redis') {
      redis = await startRedisServer();
      Object.assign(extra, { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_WORKERS: '2' });
    } else if (kind === 'gateway-cluster') {
      // Three masters on loopback, no replicas: each channel's keys hash to one of them.
      redis = await startRedisCluster({ masters: 3 });
      await redis.healthy();
      Object.assign(extra, { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_WORKERS: '2' });
    }
    const redisPids = redisPidsOf(redis);
    for (const pid of redisPids) trackPid(pid);
    const child = spawnTracked(process.execPath, [...(o.nodeArgs ?? []), GATEWAY_CLI, 'start'], { env: gatewayEnv(extra), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await listening(child, kind);
      child.stderr?.resume();
      const workers = kind === 'gateway-redis' || kind === 'gateway-cluster' ? 2 : 1;
      const primary = child.pid as number;
      let workerPids: number[] = [];
      if (workers > 1) {
        for (let i = 0; i < 100 && workerPids.length < workers; i++) {
          workerPids = childPids(primary);
          if (workerPids.length < workers) await new Promise((r) => setTimeout(r, 50));
        }
        for (const pid of workerPids) trackPid(pid);
        await allWorkersServing(Number(new URL(url).port), workerPids);
      }
      return {
        kind,
        url,
        port: Number(new URL(url).port),
        pids: () => [primary, ...workerPids, ...redisPids],
        nodePids: () => [primary, ...workerPids],
        stop: async () => {
          await stopChild(child, 8000);
          for (const pid of workerPids) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // exited with the primary
            }
          }
          await redis?.close();
        },
      };
    } catch (err) {
      child.kill('SIGKILL');
      await redis?.close();
      throw err;
    }
  }
  const script = join(BENCH_DIR, 'src', 'servers', kind === 'ws' ? 'plain-ws-server.ts' : 'socketio-server.ts');
  const child = spawnTracked(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', script, ...(o.recovery === true ? ['--recovery'] : [])], {
    cwd: BENCH_DIR,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const url = await listening(child, kind);
    child.stderr?.resume();
    return { kind, url, port: Number(new URL(url).port), pids: () => [child.pid as number], nodePids: () => [child.pid as number], stop: () => stopChild(child, 3000) };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
