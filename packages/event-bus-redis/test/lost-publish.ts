import { CHANNELS, type ChannelName } from '@ns/contracts';
import type { PendingEvent } from '@ns/event-bus';
import type { Redis } from 'ioredis';
import { appendArguments, historyCap } from '../src/commands.js';
import { APPEND_LUA } from '../src/lua-scripts.js';
import { RedisKeys } from '../src/redis-keys.js';

/**
 * Stores events of ONE channel exactly as the engine's append script does, but publishes them to a
 * topic nobody listens to: a pub/sub message lost on its way to every instance, which only gap
 * repair can recover.
 */
export async function appendWithLostPublish(redis: Redis, prefix: string, events: PendingEvent[]): Promise<number[]> {
  const names = new RedisKeys(prefix);
  const channel = (name: ChannelName) => ({ name, keys: names.channel(name), kind: CHANNELS[name].history.kind, cap: historyCap(CHANNELS[name].history) });
  const { keys, args } = appendArguments({
    ids: names.idempotency(events[0]?.channel as ChannelName),
    publish: 'PUBLISH',
    windowMs: 1000,
    maxIds: 1000,
    events: events.map((e) => ({ ...e, idempotent: false })),
    channel,
    topic: () => `${prefix}nowhere`,
  });
  const [, seqs] = (await redis.eval(APPEND_LUA, keys.length, ...keys, ...args)) as [string[], number[]];
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
