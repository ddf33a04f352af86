// The private redis-server (free port, no persistence, kill/pause/restart; a one-line skip notice
// naming the Debian package when the binary is missing) comes from @ns/testkit.
import { eventually, startGateway, type GatewayProcess } from '@ns/testkit';

export { hasRedisServer, publish, redisCommand, startRedisServer, type TestRedisServer } from '@ns/testkit';

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

/** {@link eventually} with the longer bound a Redis outage or restart needs. */
export function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  return eventually(what, check, timeoutMs, 25);
}
