import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
// The Redis engine's own test server: a private redis-server on a free port, no persistence, kill and
// restart; it prints the one-line skip notice (naming the Debian package) when the binary is missing.
import { hasRedisServer, redisServerBin, startRedisServer, type TestRedisServer } from '../../../../packages/event-bus-redis/test/redis-server.js';
import { startGateway, type GatewayProcess } from './gateway-process.js';
import { jsonOf, type Json } from './json.js';

export { hasRedisServer, startRedisServer, type TestRedisServer };

let prefixes = 0;

/** A fresh key prefix, so gateways of different tests never share state even on one server. */
export function uniquePrefix(): string {
  return `gw-${process.pid}-${++prefixes}:`;
}

/**
 * `ns-gateway start` on the Redis engine (auth off on loopback: these tests are about delivery).
 * Gateways meant to share state get the same `prefix`.
 */
export function startRedisGateway(redisUrl: string, prefix: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  return startGateway({ NS_ENGINE: 'redis', NS_REDIS_URL: redisUrl, NS_REDIS_PREFIX: prefix, NS_AUTH: 'none', NS_LOG_LEVEL: 'warn', ...env });
}

/** POSTs a publish body; resolves with the status and the JSON answer. */
export async function publish(url: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await jsonOf(res) };
}

/** A valid `threat.new` with a publisher id, so a test can follow it to the client. */
export function threat(id: string, n = 0): { type: 'threat.new'; id: string; data: Record<string, unknown> } {
  return { type: 'threat.new', id, data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.1, n } };
}

/** A valid `system.notice` with a publisher id. */
export function notice(id: string): { type: 'system.notice'; id: string; data: Record<string, unknown> } {
  return { type: 'system.notice', id, data: { level: 'info', message: `notice ${id}`, timestamp: 1764115200.1 } };
}

/** The status `/readyz` answers. */
export async function readyStatus(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

/**
 * Polls `check` until it holds. Only for state outside the test process that announces nothing (a
 * gateway's readiness after Redis went away or came back); never for timing assertions.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const redisCli = redisServerBin === undefined ? undefined : join(dirname(redisServerBin), 'redis-cli');

/** Runs one command against a test server with `redis-cli` (installed with Debian's redis-server). */
export async function redisCommand(server: TestRedisServer, ...args: string[]): Promise<string> {
  if (redisCli === undefined || !existsSync(redisCli)) throw new Error('redis-cli not found next to redis-server');
  const { stdout } = await promisify(execFile)(redisCli, ['-h', '127.0.0.1', '-p', String(server.port), ...args]);
  return stdout.trim();
}
