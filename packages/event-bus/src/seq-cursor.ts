/**
 * A position in a channel's sequence: the epoch and seq of the last event handed on. Engines deliver
 * each channel in seq order within an epoch, so an event at or before the cursor is a repeat.
 */
export interface SeqCursor {
  epoch: string;
  seq: number;
}

/** A cursor no event is at or before: the first event of any epoch passes. */
export const startCursor = (): SeqCursor => ({ epoch: '', seq: 0 });

/**
 * Moves `cursor` to (`epoch`, `seq`) and returns true when that event is past it; false for a repeat.
 * A new epoch voids earlier seqs, so its events always pass; within one epoch, only forward. The one
 * dedup rule of the delivery path: the bus's engine feed and every subscription's replay → live
 * boundary use it.
 */
export function advanceCursor(cursor: SeqCursor, epoch: string, seq: number): boolean {
  if (cursor.epoch === epoch && seq <= cursor.seq) return false;
  cursor.epoch = epoch;
  cursor.seq = seq;
  return true;
}
