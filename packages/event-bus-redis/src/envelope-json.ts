import type { EventEnvelope } from '@ns/contracts';
import { BusEvent, type PendingEvent, type StoredEvent } from '@ns/event-bus';
import type { FeedEntry } from './channel-feed.js';

/** An envelope serialized around its missing `seq` and `epoch`, for the append script to splice. */
export interface EnvelopePieces {
  /** `{"type":…,"channel":…,"id":…,"seq":` */
  head: string;
  /** `,"ts":…,"data":…}` */
  tail: string;
}

/** Serializes everything of the envelope except seq and epoch, in the wire's field order. */
export function envelopePieces(event: PendingEvent): EnvelopePieces {
  return {
    head: `{"type":${JSON.stringify(event.type)},"channel":${JSON.stringify(event.channel)},"id":${JSON.stringify(event.id)},"seq":`,
    tail: `,"ts":${JSON.stringify(event.ts)},"data":${event.dataJson ?? JSON.stringify(event.data)}}`,
  };
}

/** The full envelope JSON, byte for byte what the append script stores and publishes. */
export function spliceEnvelope(pieces: EnvelopePieces, seq: number, epoch: string): string {
  return `${pieces.head}${seq},"epoch":"${epoch}"${pieces.tail}`;
}

const SEQ_MARK = ',"seq":';
const EPOCH_MARK = ',"epoch":"';

/**
 * Reads `seq` and `epoch` of an envelope JSON built by {@link spliceEnvelope} without parsing it, so
 * a repeat (this instance's own event coming back over pub/sub) is dropped before the costlier
 * JSON.parse. Safe because type, channel and id cannot contain `,"seq":` (event ids are restricted
 * to letters, digits and `._:-`) and `data` comes after both marks.
 */
export function peekPosition(json: string): { seq: number; epoch: string } | undefined {
  const s = json.indexOf(SEQ_MARK);
  if (s < 0) return undefined;
  const e = json.indexOf(EPOCH_MARK, s);
  if (e < 0) return undefined;
  const seq = Number(json.slice(s + SEQ_MARK.length, e));
  const end = json.indexOf('"', e + EPOCH_MARK.length);
  if (!Number.isSafeInteger(seq) || seq < 1 || end < 0) return undefined;
  return { seq, epoch: json.slice(e + EPOCH_MARK.length, end) };
}

/**
 * A stored envelope's JSON, whole: the one place the engine parses what Redis holds (pub/sub messages
 * and reads alike). Undefined when it is not readable (never written by this engine).
 */
export function parseStored(json: string): StoredEvent | undefined {
  try {
    return new BusEvent(JSON.parse(json) as EventEnvelope, json);
  } catch {
    return undefined;
  }
}

/** A stored envelope on its way to delivery: its position peeked, the event parsed on delivery only. */
export class StoredEnvelope implements FeedEntry {
  constructor(
    readonly json: string,
    readonly epoch: string,
    readonly seq: number,
  ) {}

  load(): StoredEvent | undefined {
    return parseStored(this.json);
  }

  /** The entry for `json`, or undefined when its position cannot be read. */
  static of(json: string): StoredEnvelope | undefined {
    const at = peekPosition(json);
    return at === undefined ? undefined : new StoredEnvelope(json, at.epoch, at.seq);
  }
}
