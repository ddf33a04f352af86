import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, CLI, type GatewayProcess, runCli, stopAllGateways, TestClient } from '@ns/testkit';
import { hasRedisServer, publish, readyStatus, startRedisGateway, startRedisServer, threat, uniquePrefix, until, type TestRedisServer } from './support/redis-gateways.js';

let redis: TestRedisServer;
const sockets: TestClient[] = [];

/** Pids of the workers that logged they are listening. */
function listeningPids(gw: GatewayProcess): Set<number> {
  const pids = new Set<number>();
  for (const line of gw.stdout().split('\n')) {
    if (line.includes('"msg":"ns-gateway listening on')) pids.add((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

/** `connection_id` → pid of the worker that logged "connection opened" for it (pino's JSON lines). */
function servingPids(gw: GatewayProcess): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of gw.stdout().split('\n')) {
    if (!line.includes('"connection opened"')) continue;
    const entry = JSON.parse(line) as { connection_id: string; pid: number };
    pids.set(entry.connection_id, entry.pid);
  }
  return pids;
}

describe.skipIf(!hasRedisServer)('NS_WORKERS=2 with the Redis engine (node:cluster on one port)', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('spreads connections over both workers, delivers events published to the shared port to every client, and drains on SIGTERM with exit 0', { timeout: 60_000 }, async () => {
    const gw = await startRedisGateway(redis.url, uniquePrefix(), { NS_WORKERS: '2', NS_LOG_LEVEL: 'info', NS_SHUTDOWN_GRACE_S: '5' });
    expect(gw.stderr()).toMatch(/primary \d+: 2 workers/);
    // The launcher returns at the first "listening on" it sees, which may be a worker's JSON log line
    // on stdout before the first worker's banner reaches stderr; wait for both workers, then the banner.
    await until('both workers listening', () => listeningPids(gw).size === 2);
    await until('the banner', () => /listening on/.test(gw.stderr()));
    // The banner is printed once, by the first worker only.
    expect(gw.stderr().match(/listening on/g)).toHaveLength(1);
    expect(await readyStatus(gw.url)).toBe(200);

    const clients: TestClient[] = [];
    for (let i = 0; i < 16; i++) {
      const s = await TestClient.open(gw.wsUrl);
      sockets.push(s);
      clients.push(s);
      expect(await s.subscribe('threats')).toMatchObject({ type: 'subscribed' });
    }
    const connectionIds = clients.map((c) => (c.messages.find((m) => m.type === 'welcome') as { connection_id: string }).connection_id);
    await until('every connection logged', () => connectionIds.every((id) => servingPids(gw).has(id)));
    const pids = servingPids(gw);
    const perWorker = new Map<number, number>();
    for (const id of connectionIds) perWorker.set(pids.get(id) as number, (perWorker.get(pids.get(id) as number) ?? 0) + 1);
    expect(new Set(perWorker.keys())).toEqual(listeningPids(gw));
    expect(perWorker.has(gw.child.pid as number)).toBe(false); // served by workers, not by the primary
    // Whichever worker takes the scrape, /metrics answers for the whole cluster.
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`${gw.url}/metrics`, { headers: { connection: 'close' } })).text();
      expect(text).toMatch(/^ns_ws_connections 16$/m);
      expect(text).toMatch(/^ns_ws_subscriptions\{channel="threats"\} 16$/m);
      expect(text).toMatch(/^ns_ready 1$/m);
      expect(text).toMatch(/^ns_redis_up 1$/m);
    }

    const sent = Array.from({ length: 40 }, (_, i) => `w-${i}`);
    for (const id of sent) expect((await publish(gw.url, threat(id))).status).toBe(202);
    for (const c of clients) {
      await c.next((m) => m.id === sent.at(-1));
      expect(c.events('threats').map((e) => [e.id, e.seq])).toEqual(sent.map((id, i) => [id, i + 1]));
    }

    gw.child.kill('SIGTERM');
    for (const c of clients) expect((await c.closed).code).toBe(1001);
    expect(await gw.exited).toEqual({ code: 0, signal: null });
  });

  it('drains once when a Ctrl-C reaches the primary and the workers together (process group), exiting 0', { timeout: 60_000 }, async () => {
    // Its own process group, as a shell gives a foreground job; killed by group id at the end.
    const child = spawn(process.execPath, [CLI, 'start'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: uniquePrefix(), NS_AUTH: 'none', NS_WORKERS: '2', NS_LOG_LEVEL: 'info', NS_SHUTDOWN_GRACE_S: '5' }),
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until('both workers listening', () => (out.match(/"msg":"ns-gateway listening on/g) ?? []).length === 2);
      const url = /listening on (http:\/\/\S+)/.exec(err)?.[1] as string;
      const client = await TestClient.open(`${url.replace(/^http/, 'ws')}/ws`);
      sockets.push(client);
      process.kill(-(child.pid as number), 'SIGINT');
      expect((await client.closed).code).toBe(1001);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(out).not.toContain('second signal');
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
  });

  it('refuses NS_WORKERS > 1 with the memory engine, naming NS_WORKERS', async () => {
    const { code, stderr } = await runCli(['start'], { NS_WORKERS: '2', NS_ENGINE: 'memory', NS_AUTH: 'none' });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/NS_WORKERS: 2 workers need a shared engine: set NS_ENGINE=redis/);
  });

  it('exits with the workers\' error instead of re-forking them when they cannot listen', { timeout: 30_000 }, async () => {
    const holder = await startRedisGateway(redis.url, uniquePrefix());
    const port = new URL(holder.url).port;
    const { code, stderr } = await runCli(['start'], {
      NS_WORKERS: '2',
      NS_ENGINE: 'redis',
      NS_REDIS_URL: redis.url,
      NS_AUTH: 'none',
      NS_PORT: port,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    expect(stderr).toMatch(/exited during start-up/);
  });
});
