/**
 * How the append script should build envelope JSON: splice seq/epoch between pieces serialized in
 * Node (what RedisEngine does) versus cjson.decode + cjson.encode inside Redis. Measures Redis-side
 * time per event from INFO commandstats (usec_per_call of EVALSHA), batches of 100 ~270-byte events.
 *
 *   npx tsx packages/event-bus-redis/bench/envelope-assembly.bench.ts
 */
import { dataDigest, generateEpoch } from '@ns/event-bus';
import { Redis } from 'ioredis';
import { envelopePieces } from '../src/envelope-json.js';
import { APPEND_LUA } from '../src/lua-scripts.js';
import { RedisKeys } from '../src/redis-keys.js';
import { pending, DATA } from '../test/fixtures.js';
import { startRedisServer } from '@ns/testkit';

const CJSON_LUA = `
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local epoch = 'k3v9q1x2'
local msgs = {}
for i = 1, #ARGV do
  local e = cjson.decode(ARGV[i])
  seq = seq + 1
  e.seq = seq
  e.epoch = epoch
  local json = cjson.encode(e)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', 1000, seq .. '-0', 'e', json)
  msgs[#msgs + 1] = json
end
redis.call('HSET', KEYS[1], 'seq', seq)
redis.call('PUBLISH', KEYS[3], table.concat(msgs, '\\n'))
return seq
`;

const BATCH = 100;
const ROUNDS = 300;

async function usecPerCall(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  const line = info.split('\n').find((l) => l.startsWith('cmdstat_evalsha:'));
  const m = line?.match(/usec_per_call=([\d.]+)/);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  try {
    const events = Array.from({ length: BATCH }, (_, i) => pending('threat.new', DATA.threat(i)));
    console.log(`event JSON ≈ ${JSON.stringify({ ...events[0], seq: 1, epoch: 'k3v9q1x2' }).length} bytes`);

    // Splice: the engine's own script.
    const names = new RedisKeys('bench:');
    const keys = names.channel('threats');
    const spliceSha = (await redis.script('LOAD', APPEND_LUA)) as string;
    const spliceArgs: (string | number)[] = [
      5,
      names.idempotencyIds,
      names.idempotencyOrder,
      keys.head,
      keys.hist,
      keys.order,
      300_000,
      100_000,
      1,
      'ring',
      1000,
      generateEpoch(),
      keys.topic,
      'threats',
    ];
    for (const e of events) {
      const p = envelopePieces(e);
      spliceArgs.push(1, '0', e.id, e.type, dataDigest(e.data), p.head, p.tail, '');
    }
    await redis.config('RESETSTAT');
    for (let r = 0; r < ROUNDS; r++) await redis.call('EVALSHA', spliceSha, ...spliceArgs);
    const splice = (await usecPerCall(redis)) / BATCH;

    // cjson: decode + encode per event inside the script.
    const cjsonSha = (await redis.script('LOAD', CJSON_LUA)) as string;
    const cjsonArgs = events.map((e) => JSON.stringify({ type: e.type, channel: e.channel, id: e.id, ts: e.ts, data: e.data }));
    await redis.config('RESETSTAT');
    const cjsonCall: (string | number)[] = [3, 'bench:cj:head', 'bench:cj:hist', 'bench:cj:events', ...cjsonArgs];
    for (let r = 0; r < ROUNDS; r++) await redis.call('EVALSHA', cjsonSha, ...cjsonCall);
    const cjson = (await usecPerCall(redis)) / BATCH;

    const sample = (await redis.xrevrange('bench:cj:hist', '+', '-', 'COUNT', 1))[0]?.[1][1];
    console.log(`splice: ${splice.toFixed(2)} µs/event in Redis (incl. idempotency bookkeeping, XADD, PUBLISH)`);
    console.log(`cjson:  ${cjson.toFixed(2)} µs/event in Redis (XADD, PUBLISH)  ratio ${(cjson / splice).toFixed(2)}x`);
    console.log(`cjson output sample: ${sample}`);
  } finally {
    redis.disconnect();
    await server.close();
  }
}

await main();
