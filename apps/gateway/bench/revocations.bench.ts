/**
 * Memory of 10k active revocations: two real gateways on a private redis-server (the test kit's), one
 * of them started with the V8 inspector. Revokes `--count` tokens by jti (and `--users` users) through
 * `POST /v1/revocations` on one gateway, then reports Redis `used_memory` and each gateway's heap
 * after a full GC (the inspected one directly; the other one learnt every revocation from notices),
 * before and after, per revocation. Also measures how long a revocation takes to close a live
 * connection on the other instance (median and max over `--closes` runs).
 *
 *   npx tsx apps/gateway/bench/revocations.bench.ts [--count 10000] [--users 0] [--closes 20] [--concurrency 16]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { launchGateway, redisCommand, startRedisServer, stopAllGateways, TestClient } from '@ns/testkit';
import { SignJWT } from 'jose';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    users: { type: 'string', default: '0' },
    closes: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
  },
});
const count = Number(values.count);
const users = Number(values.users);
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const sign = (sub: string, roles: string[], jti = randomUUID()) =>
  new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setJti(jti).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

const redis = await startRedisServer();
const env = { NS_JWT_SECRET: SECRET, NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: 'bench:', NS_MAX_REVOCATIONS: String(count + users + 1000), NS_LOG_LEVEL: 'warn' };
const [a, b] = await Promise.all([launchGateway({ env, inspect: true }), launchGateway({ env, inspect: true })]);
const admin = await sign('root', ['admin']);
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redisCommand(redis, 'INFO', 'memory'))?.[1]);
const heaps = async () => Promise.all([a.inspector!.heapUsedMiB(), b.inspector!.heapUsedMiB()]);

async function post(body: unknown): Promise<void> {
  const res = await fetch(`${a.url}/v1/revocations`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /v1/revocations answered ${res.status}: ${await res.text()}`);
}

try {
  // Warm up both gateways' code paths before the baseline, so JIT code is not counted as revocations.
  for (let i = 0; i < 50; i++) await post({ jti: `warmup-${i}`, expires_at: Date.now() / 1000 + 3 });
  await new Promise((r) => setTimeout(r, 3500));
  const [redisBefore, [heapABefore, heapBBefore]] = await Promise.all([usedMemory(), heaps()]);
  const started = Date.now();
  const expiresAt = Date.now() / 1000 + 3600;
  let next = 0;
  const total = count + users;
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (next < total) {
        const i = next++;
        await post(i < count ? { jti: randomUUID(), expires_at: expiresAt } : { user: `user-${i}` });
      }
    }),
  );
  const took = Date.now() - started;
  const [redisAfter, [heapAAfter, heapBAfter]] = await Promise.all([usedMemory(), heaps()]);
  const per = (before: number, after: number, unit: number) => (((after - before) * unit) / total).toFixed(0);
  console.log(`revocations: ${count} by jti + ${users} by user posted in ${took} ms (${((total / took) * 1000).toFixed(0)}/s)`);
  console.log(`redis used_memory: ${(redisBefore / 1048576).toFixed(2)} → ${(redisAfter / 1048576).toFixed(2)} MiB, ${per(redisBefore, redisAfter, 1)} bytes per revocation`);
  console.log(`gateway A heap (took the POSTs): ${heapABefore.toFixed(2)} → ${heapAAfter.toFixed(2)} MiB, ${per(heapABefore, heapAAfter, 1048576)} bytes per revocation`);
  console.log(`gateway B heap (notices only): ${heapBBefore.toFixed(2)} → ${heapBAfter.toFixed(2)} MiB, ${per(heapBBefore, heapBAfter, 1048576)} bytes per revocation`);

  const closes: number[] = [];
  for (let i = 0; i < Number(values.closes); i++) {
    const jti = randomUUID();
    const t = await sign(`victim-${i}`, ['analyst'], jti);
    const c = await TestClient.open(b.wsUrl, { headers: { authorization: `Bearer ${t}` } });
    const t0 = Date.now();
    const closed = c.closed.then(() => Date.now() - t0);
    await post({ jti, expires_at: expiresAt });
    closes.push(await closed);
  }
  closes.sort((x, y) => x - y);
  if (closes.length > 0) {
    console.log(`close on the other instance after POST sent: median ${closes[Math.floor(closes.length / 2)]} ms, max ${closes.at(-1)} ms (${closes.length} runs)`);
  }
} finally {
  await stopAllGateways();
  await redis.close();
}
