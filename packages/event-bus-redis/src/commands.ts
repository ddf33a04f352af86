import { latestKeyOf, type ChannelName, type EventType, type HistorySpec } from '@ns/contracts';
import { dataDigest, generateEpoch, type ChannelHead, type PendingEvent } from '@ns/event-bus';
import { envelopePieces } from './envelope-json.js';
import { APPEND_LUA, HEADS_LUA, HELD_IDS_LUA, READ_LUA } from './lua-scripts.js';
import type { ChannelKeys } from './redis-keys.js';

/** What the scripts need to know of a channel: its keys and Lua's view of its history. */
export interface ScriptChannel {
  readonly name: ChannelName;
  readonly keys: ChannelKeys;
  /** The history kind, as the scripts branch on it. */
  readonly kind: HistorySpec['kind'];
  /** Ring size, or most latest-per-key keys; 0 without history. */
  readonly cap: number;
}

/** The Lua view of a channel's history: its kind and its cap. */
export function historyCap(history: HistorySpec): number {
  return history.kind === 'ring' ? history.size : history.kind === 'latest' ? history.maxKeys : 0;
}

/** One append script call: a batch whose events all live in the same slot (one Redis, or one hash tag). */
export interface AppendCall {
  /** Idempotency record keys of the call's slot: the hash id → record and the list of ids, oldest first. */
  readonly ids: { readonly records: string; readonly order: string };
  /** `PUBLISH`, or `SPUBLISH` (sharded pub/sub) on a Redis Cluster. */
  readonly publish: 'PUBLISH' | 'SPUBLISH';
  readonly windowMs: number;
  readonly maxIds: number;
  readonly events: readonly PendingEvent[];
  channel(name: ChannelName): ScriptChannel;
  /** The topic each channel's envelopes are published on (default its own); tests lose a publish with it. */
  topic?(channel: ScriptChannel): string;
}

/** The append script's answer, typed. */
export type AppendReply =
  /** Ids held by different events: nothing was stored. `index` is the event's position in the call. */
  | { readonly stored: false; readonly conflicts: { index: number; heldBy: EventType }[] }
  | {
      readonly stored: true;
      /** The epoch of each touched channel. */
      readonly epochs: ReadonlyMap<ChannelName, string>;
      /** Per event: its seq, or where the original of a repeat was stored. */
      readonly results: ({ duplicate: false; seq: number } | { duplicate: true; channel: ChannelName; seq: number })[];
    };

/**
 * The append script's KEYS and ARGV (see APPEND_LUA): the idempotency keys, then `head, hist, order`
 * per touched channel; window, max ids, channel count, publish command, check-only flag,
 * `kind, cap, new_epoch, topic, name` per channel, then eight arguments per event. Returns the
 * channels in the order the script numbers them.
 */
export function appendArguments(call: AppendCall, checkOnly = false): { keys: string[]; args: (string | number)[]; channels: ScriptChannel[] } {
  const channels: ScriptChannel[] = [];
  const index = new Map<ChannelName, number>();
  const keys = [call.ids.records, call.ids.order];
  const channelArgs: (string | number)[] = [];
  for (const e of call.events) {
    if (index.has(e.channel)) continue;
    const ch = call.channel(e.channel);
    index.set(e.channel, channels.length + 1);
    channels.push(ch);
    keys.push(ch.keys.head, ch.keys.hist, ch.keys.order);
    channelArgs.push(ch.kind, ch.cap, generateEpoch(), call.topic?.(ch) ?? ch.keys.topic, ch.name);
  }
  const eventArgs: (string | number)[] = [];
  for (const e of call.events) {
    const p = envelopePieces(e);
    // Every event is recorded, minted ids too (see APPEND_LUA): only publisher ids are looked up.
    eventArgs.push(index.get(e.channel) as number, e.idempotent ? '1' : '0', e.id, e.type, dataDigest(e.data), p.head, p.tail, latestKeyOf(e.channel, e.data) ?? '');
  }
  return { keys, args: [call.windowMs, call.maxIds, channels.length, call.publish, checkOnly ? '1' : '0', ...channelArgs, ...eventArgs], channels };
}

type RawAppendReply = [string[], (number | string)[], (number | string)[]];

/** Types the script's `{ epochs, results, conflicts }` reply. */
export function parseAppendReply(reply: RawAppendReply, channels: readonly ScriptChannel[]): AppendReply {
  const [epochs, seqs, conflicts] = reply;
  if (conflicts.length > 0) {
    const found: { index: number; heldBy: EventType }[] = [];
    for (let i = 0; i < conflicts.length; i += 2) found.push({ index: Number(conflicts[i]), heldBy: conflicts[i + 1] as EventType });
    return { stored: false, conflicts: found };
  }
  const results = seqs.map((r) => {
    if (typeof r !== 'string') return { duplicate: false as const, seq: Number(r) };
    const colon = r.lastIndexOf(':');
    return { duplicate: true as const, channel: r.slice(0, colon) as ChannelName, seq: Number(r.slice(colon + 1)) };
  });
  return { stored: true, epochs: new Map(channels.map((ch, i) => [ch.name, epochs[i] as string])), results };
}

/** What to read of a channel (see READ_LUA). */
export interface ReadArgs {
  /** The reader's epoch ('' = whatever is current). */
  sinceEpoch: string;
  afterSeq: number;
  /** Through this seq (default the head). */
  untilSeq?: number;
  /** At most this many (default all). */
  limit?: number;
  /** The newest `limit` rather than the first `limit` after `afterSeq`. */
  newest?: boolean;
  /** Ring cap override: 0 answers whatever the Stream still holds (live delivery). */
  cap?: number;
}

/** A channel's head and retained envelopes, as stored (JSON). */
export interface RawRead {
  epoch: string;
  seq: number;
  /** False when `sinceEpoch` is not the current epoch or `afterSeq` is beyond the head. */
  matched: boolean;
  jsons: string[];
}

/** The connection API the scripts need: ioredis `defineCommand` on a Redis or a Cluster. */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

interface ScriptCalls {
  nsAppend(...args: (string | number)[]): Promise<RawAppendReply>;
  nsRead(...args: (string | number)[]): Promise<(string | number)[]>;
  nsHeads(...args: (string | number)[]): Promise<(string | number)[]>;
  nsHeldIds(...args: string[]): Promise<string[]>;
}

/**
 * The engine's Lua scripts as typed commands: each owns its script's argument layout and reply
 * shape, so nothing else builds positional arguments. ioredis sends a script once per connection and
 * calls it by SHA afterwards (again after a restart, on NOSCRIPT). Errors are ioredis's, untranslated.
 */
export class ScriptCommands {
  readonly #conn: ScriptCalls;

  constructor(conn: ScriptHost) {
    conn.defineCommand('nsAppend', { lua: APPEND_LUA });
    conn.defineCommand('nsRead', { lua: READ_LUA, numberOfKeys: 3 });
    conn.defineCommand('nsHeads', { lua: HEADS_LUA });
    conn.defineCommand('nsHeldIds', { lua: HELD_IDS_LUA, numberOfKeys: 1 });
    this.#conn = conn as unknown as ScriptCalls;
  }

  /** Runs one append script (all or nothing) for events of one slot. */
  async append(call: AppendCall): Promise<AppendReply> {
    const { keys, args, channels } = appendArguments(call);
    return parseAppendReply(await this.#conn.nsAppend(keys.length, ...keys, ...args), channels);
  }

  /** The append script in check-only mode: the conflicts `append` would report, nothing stored. */
  async conflicts(call: AppendCall): Promise<{ index: number; heldBy: EventType }[]> {
    const { keys, args, channels } = appendArguments(call, true);
    const reply = parseAppendReply(await this.#conn.nsAppend(keys.length, ...keys, ...args), channels);
    return reply.stored ? [] : reply.conflicts;
  }

  /** Per id, the event type holding it in the records `records` (a channel's, on a Cluster), or undefined. */
  async heldIds(records: string, ids: readonly string[]): Promise<(EventType | undefined)[]> {
    if (ids.length === 0) return [];
    const reply = await this.#conn.nsHeldIds(records, ...ids);
    return reply.map((t) => (t === '' ? undefined : (t as EventType)));
  }

  /** Reads one channel atomically with its head. */
  async read(ch: ScriptChannel, args: ReadArgs): Promise<RawRead> {
    const reply = await this.#conn.nsRead(
      ch.keys.head,
      ch.keys.hist,
      ch.keys.order,
      ch.kind,
      args.cap ?? ch.cap,
      generateEpoch(),
      args.sinceEpoch,
      args.afterSeq,
      args.untilSeq ?? -1,
      args.limit ?? -1,
      args.newest === true ? '1' : '0',
    );
    return { epoch: String(reply[0]), seq: Number(reply[1]), matched: Number(reply[2]) === 1, jsons: reply.slice(3) as string[] };
  }

  /** The heads of `channels` (all in one slot), in one script call. */
  async heads(channels: readonly ScriptChannel[]): Promise<ChannelHead[]> {
    const keys = channels.flatMap((ch) => [ch.keys.head, ch.keys.hist, ch.keys.order]);
    const reply = await this.#conn.nsHeads(keys.length, ...keys, ...channels.map(() => generateEpoch()));
    return channels.map((_, i) => ({ epoch: String(reply[2 * i]), seq: Number(reply[2 * i + 1]) }));
  }
}
