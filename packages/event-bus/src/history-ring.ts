/** Anything with a `seq`; the ring stores events of one channel, whose seqs are consecutive. */
export interface Sequenced {
  readonly envelope: { readonly seq: number };
}

/**
 * The last `capacity` events of a lossless channel. Seqs in the ring are consecutive (every event of
 * the channel is pushed), so finding "everything after seq s" is index arithmetic, not a search.
 */
export class HistoryRing<T extends Sequenced> {
  readonly capacity: number;
  readonly #slots: (T | undefined)[] = [];
  /** Index of the oldest event in `#slots`. */
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#size;
  }

  /** Seq of the oldest retained event, or `undefined` when empty. */
  get firstSeq(): number | undefined {
    return this.#at(0)?.envelope.seq;
  }

  /** Seq of the newest retained event, or `undefined` when empty. */
  get lastSeq(): number | undefined {
    return this.#at(this.#size - 1)?.envelope.seq;
  }

  /** Appends an event, evicting the oldest when full. */
  push(event: T): void {
    if (this.#size < this.capacity) {
      this.#slots[(this.#start + this.#size) % this.capacity] = event;
      this.#size++;
    } else {
      this.#slots[this.#start] = event;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** Retained events with seq > `seq`, oldest first, at most `limit`. */
  after(seq: number, limit = Infinity): T[] {
    const first = this.firstSeq;
    if (first === undefined) return [];
    const from = Math.max(0, Math.min(this.#size, seq - first + 1));
    const to = Math.min(this.#size, from + Math.max(0, limit));
    const out: T[] = [];
    for (let i = from; i < to; i++) out.push(this.#at(i) as T);
    return out;
  }

  /** The newest `limit` retained events, oldest first. */
  latest(limit = Infinity): T[] {
    const from = Math.max(0, this.#size - Math.max(0, limit));
    const out: T[] = [];
    for (let i = from; i < this.#size; i++) out.push(this.#at(i) as T);
    return out;
  }

  clear(): void {
    this.#slots.length = 0;
    this.#start = 0;
    this.#size = 0;
  }

  #at(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    return this.#slots[(this.#start + i) % this.capacity];
  }
}
