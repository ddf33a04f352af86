import type { ChannelName, SinceCursor, SubscribedMessage } from '@ns/contracts';

/** The fields of an event the cursor logic reads. */
export interface EventPosition {
  readonly channel: ChannelName;
  readonly epoch: string;
  readonly seq: number;
}

/**
 * What to do with one inbound event:
 * - `deliver`: new, pass it on;
 * - `duplicate`: already seen (same epoch, seq not above the cursor), drop it;
 * - `new_epoch`: the channel's history restarted (earlier seqs are void); deliver it, and tell the app
 *   that it may have missed events.
 */
export type Acceptance = 'deliver' | 'duplicate' | 'new_epoch';

interface Replay {
  readonly epoch: string;
  /** Replayed events must lie above this seq (the `since` we resumed from, or 0 for a fresh stream). */
  readonly base: number;
  /** The channel's seq announced by `subscribed`, which the cursor reaches once the replay is through. */
  readonly target: number;
  /**
   * A resumed replay is history, in seq order, so the cursor follows each event (a drop mid-replay
   * resumes from the last one delivered). A fresh replay (latest-per-key snapshot) has no such order,
   * so the cursor is only committed once the whole snapshot was delivered.
   */
  readonly ordered: boolean;
  remaining: number;
}

/**
 * Per-channel resume cursors (the last `{epoch, seq}` delivered) and the deduplication they allow:
 * drop `seq <= cursor.seq` in the same epoch, start over on a new epoch, and let the replay that follows
 * `subscribed` through even when it is a snapshot whose seqs lie below the announced `seq`.
 */
export class CursorStore {
  readonly #cursors = new Map<ChannelName, SinceCursor>();
  readonly #replays = new Map<ChannelName, Replay>();

  /** The resume point of `channel`, if any event or subscription has set one. */
  get(channel: ChannelName): SinceCursor | undefined {
    return this.#cursors.get(channel);
  }

  /** Sets the resume point explicitly (e.g. a cursor the app persisted across page loads). */
  set(channel: ChannelName, cursor: SinceCursor): void {
    this.#cursors.set(channel, { epoch: cursor.epoch, seq: cursor.seq });
    this.#replays.delete(channel);
  }

  /** Forgets `channel` (after unsubscribing). */
  delete(channel: ChannelName): void {
    this.#cursors.delete(channel);
    this.#replays.delete(channel);
  }

  /** Resume points of every channel, for persisting. */
  snapshot(): Partial<Record<ChannelName, SinceCursor>> {
    return Object.fromEntries([...this.#cursors].map(([c, v]) => [c, { ...v }]));
  }

  /**
   * Records a `subscribed` reply to a subscribe sent with `since` (or without one). Returns `gap: true`
   * when a resume was asked for and the server could not replay everything after it, i.e. the app must
   * reload state.
   */
  subscribed(message: SubscribedMessage, since: SinceCursor | undefined): { gap: boolean } {
    const { channel, epoch } = message;
    const resumed = since !== undefined && message.recovered && since.epoch === epoch;
    if (!resumed) this.#cursors.delete(channel);
    else this.#cursors.set(channel, { epoch, seq: since.seq });
    const replay: Replay = {
      epoch,
      base: resumed ? since.seq : 0,
      target: message.seq,
      ordered: resumed,
      remaining: message.replayed,
    };
    if (replay.remaining > 0) this.#replays.set(channel, replay);
    else this.#finishReplay(channel, replay);
    return { gap: since !== undefined && !resumed };
  }

  /** Decides whether an event is new, and advances the channel's cursor when it is. */
  accept(event: EventPosition): Acceptance {
    const { channel, epoch, seq } = event;
    const replay = this.#replays.get(channel);
    // A seq past the announced target (or another epoch) is live: the replay was shorter than announced.
    if (replay !== undefined && epoch === replay.epoch && seq <= replay.target) {
      const cursor = this.#cursors.get(channel);
      if (seq <= replay.base || (replay.ordered && cursor !== undefined && seq <= cursor.seq)) return 'duplicate';
      if (replay.ordered) this.#cursors.set(channel, { epoch, seq });
      replay.remaining -= 1;
      if (replay.remaining === 0) this.#finishReplay(channel, replay);
      return 'deliver';
    }
    if (replay !== undefined) this.#finishReplay(channel, replay);

    const cursor = this.#cursors.get(channel);
    if (cursor === undefined) {
      this.#cursors.set(channel, { epoch, seq });
      return 'deliver';
    }
    if (cursor.epoch !== epoch) {
      this.#cursors.set(channel, { epoch, seq });
      return 'new_epoch';
    }
    if (seq <= cursor.seq) return 'duplicate';
    this.#cursors.set(channel, { epoch, seq });
    return 'deliver';
  }

  #finishReplay(channel: ChannelName, replay: Replay): void {
    this.#replays.delete(channel);
    const cursor = this.#cursors.get(channel);
    // Everything up to the announced seq that matches our filter has now been delivered.
    const seq = cursor !== undefined && cursor.epoch === replay.epoch ? Math.max(cursor.seq, replay.target) : replay.target;
    this.#cursors.set(channel, { epoch: replay.epoch, seq });
  }
}
