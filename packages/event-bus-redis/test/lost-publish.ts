import { CHANNELS, latestKeyOf } from '@ns/contracts';
import { dataDigest, generateEpoch, type PendingEvent } from '@ns/event-bus';
import type { Redis } from 'ioredis';
import { envelopePieces } from '../src/envelope-json.js';
import { APPEND_LUA } from '../src/lua-scripts.js';
import { RedisKeys } from '../src/redis-keys.js';

/**
 * Stores events of ONE channel exactly as the engine's append script does, but publishes them to a
 * topic nobody listens to: a pub/sub message lost on its way to every instance, which only gap
 * repair can recover.
 */
export async function appendWithLostPublish(redis: Redis, prefix: string, events: PendingEvent[]): Promise<number[]> {
  const channel = (events[0] as PendingEvent).channel;
  const names = new RedisKeys(prefix);
  const keys = names.channel(channel);
  const history = CHANNELS[channel].history;
  const cap = history.kind === 'ring' ? history.size : history.kind === 'latest' ? history.maxKeys : 0;
  const args: (string | number)[] = [1000, 1000, 1, history.kind, cap, generateEpoch(), `${prefix}nowhere`, channel];
  for (const e of events) {
    const p = envelopePieces(e);
    args.push(1, '0', e.id, e.type, dataDigest(e.data), p.head, p.tail, latestKeyOf(channel, e.data) ?? '');
  }
  const [, seqs] = (await redis.eval(APPEND_LUA, 5, names.idempotencyIds, names.idempotencyOrder, keys.head, keys.hist, keys.order, ...args)) as [
    string[],
    number[],
  ];
  return seqs;
}

/** Kills the subscriber connection of the client named `name` (ioredis `connectionName`). */
export async function killSubscriber(redis: Redis, name: string): Promise<void> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  const id = line?.match(/^id=(\d+)/)?.[1];
  if (id === undefined) throw new Error(`no subscriber named ${name}`);
  await redis.call('CLIENT', 'KILL', 'ID', id);
}
