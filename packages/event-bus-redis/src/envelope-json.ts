import type { PendingEvent } from '@ns/event-bus';

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
    tail: `,"ts":${JSON.stringify(event.ts)},"data":${JSON.stringify(event.data)}}`,
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
