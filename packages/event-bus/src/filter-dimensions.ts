import type { EventEnvelope } from '@ns/contracts';
import { parseIpCached, parseNetworks, type ParsedNetworks } from './cidr-matcher.js';

/** An event's `data`, read by field. */
export type EventData = Record<string, unknown>;

/**
 * One indexed filter field of a channel (`levels`, `min_score`, `source_cidrs`, …): filter groups are
 * filed under the field's filter value, and `collect` pushes every group whose value for this field
 * accepts the event — exactly the groups the field's check in `compileFilter` would pass, no more
 * (the index relies on that for groups constrained by this field alone).
 */
export interface Dimension<G> {
  /** Groups filed here. */
  readonly size: number;
  add(group: G, value: unknown): void;
  /** Removes `group`, filed with the same `value`. */
  remove(group: G, value: unknown): void;
  collect(data: EventData, event: EventEnvelope, out: G[]): void;
}

/** Options of a {@link ValueBuckets}. */
export interface ValueBucketsOptions {
  /** The event field is an array and matches when any element is wanted (`tags`). */
  anyOf?: boolean;
  /**
   * Alert state changes (`alert.acknowledged`/`alert.resolved`) carry only the alert id: an event that
   * is not `alert.new` and lacks the field passes every filter on it (docs/protocol.md#filters).
   */
  passStateChangesWithout?: boolean;
}

function removeAll<G>(list: G[], group: G): void {
  for (let i = list.length - 1; i >= 0; i--) if (list[i] === group) list.splice(i, 1);
}

/**
 * A list field (`levels`, `event_types`, `components`, `tags`, …): one bucket per wanted value, so an
 * event finds its groups with one map lookup (per element for `anyOf`). Map keys compare like the
 * compiled filter's `Set.has` (SameValueZero).
 */
export class ValueBuckets<G> implements Dimension<G> {
  readonly #read: (data: EventData) => unknown;
  readonly #anyOf: boolean;
  readonly #stateChanges: boolean;
  readonly #buckets = new Map<unknown, G[]>();
  readonly #groups = new Set<G>();

  constructor(read: (data: EventData) => unknown, options: ValueBucketsOptions = {}) {
    this.#read = read;
    this.#anyOf = options.anyOf ?? false;
    this.#stateChanges = options.passStateChangesWithout ?? false;
  }

  get size(): number {
    return this.#groups.size;
  }

  add(group: G, value: unknown): void {
    for (const v of new Set(value as readonly unknown[])) {
      const bucket = this.#buckets.get(v);
      if (bucket === undefined) this.#buckets.set(v, [group]);
      else bucket.push(group);
    }
    this.#groups.add(group);
  }

  remove(group: G, value: unknown): void {
    for (const v of new Set(value as readonly unknown[])) {
      const bucket = this.#buckets.get(v);
      if (bucket === undefined) continue;
      removeAll(bucket, group);
      if (bucket.length === 0) this.#buckets.delete(v);
    }
    this.#groups.delete(group);
  }

  collect(data: EventData, event: EventEnvelope, out: G[]): void {
    const v = this.#read(data);
    if (this.#anyOf) {
      if (Array.isArray(v)) {
        for (const item of v) this.#push(this.#buckets.get(item), out);
        return;
      }
    } else {
      this.#push(this.#buckets.get(v), out);
    }
    if (this.#stateChanges && v === undefined && event.type !== 'alert.new') for (const g of this.#groups) out.push(g);
  }

  #push(bucket: G[] | undefined, out: G[]): void {
    if (bucket !== undefined) for (let i = 0; i < bucket.length; i++) out.push(bucket[i] as G);
  }
}

/**
 * A minimum (`min_score`): groups sorted by their threshold, so an event's value selects a prefix of
 * the list found by binary search. A value that is not a number (or NaN) passes none.
 */
export class ThresholdList<G> implements Dimension<G> {
  readonly #read: (data: EventData) => unknown;
  readonly #mins: number[] = [];
  readonly #groups: G[] = [];

  constructor(read: (data: EventData) => unknown) {
    this.#read = read;
  }

  get size(): number {
    return this.#groups.length;
  }

  add(group: G, value: unknown): void {
    const i = this.#countAtMost(value as number);
    this.#mins.splice(i, 0, value as number);
    this.#groups.splice(i, 0, group);
  }

  remove(group: G): void {
    const i = this.#groups.indexOf(group);
    if (i < 0) return;
    this.#mins.splice(i, 1);
    this.#groups.splice(i, 1);
  }

  collect(data: EventData, _event: EventEnvelope, out: G[]): void {
    const v = this.#read(data);
    if (typeof v !== 'number') return;
    const n = this.#countAtMost(v);
    const groups = this.#groups;
    for (let i = 0; i < n; i++) out.push(groups[i] as G);
  }

  /** Number of thresholds `<= v` (written so that NaN counts none, like `v >= min`). */
  #countAtMost(v: number): number {
    const mins = this.#mins;
    let lo = 0;
    let hi = mins.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((mins[mid] as number) <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The IPv6 networks sharing one prefix mask, by masked network. */
interface V6Masks<G> {
  readonly m: readonly [number, number, number, number];
  readonly nets: Map<string, G[]>;
}

const v6Key = (a: number, b: number, c: number, d: number) => `${a}:${b}:${c}:${d}`;

/**
 * Networks (`source_cidrs`): one hash table per distinct prefix mask, keyed by the masked network, so
 * an address costs one lookup per distinct prefix length in use (at most 33 for IPv4) instead of one
 * comparison per network per filter. Parsing and mapped-address rules are the CIDR matcher's own.
 */
export class CidrBuckets<G> implements Dimension<G> {
  readonly #read: (data: EventData) => unknown;
  readonly #v4 = new Map<number, Map<number, G[]>>();
  readonly #v6 = new Map<string, V6Masks<G>>();
  readonly #groups = new Set<G>();

  constructor(read: (data: EventData) => unknown) {
    this.#read = read;
  }

  get size(): number {
    return this.#groups.size;
  }

  add(group: G, value: unknown): void {
    this.#each(parseNetworks(value as readonly string[]), (list) => list.push(group));
    this.#groups.add(group);
  }

  remove(group: G, value: unknown): void {
    this.#each(parseNetworks(value as readonly string[]), (list) => removeAll(list, group));
    this.#groups.delete(group);
    for (const [mask, nets] of this.#v4) {
      for (const [net, list] of nets) if (list.length === 0) nets.delete(net);
      if (nets.size === 0) this.#v4.delete(mask);
    }
    for (const [masks, entry] of this.#v6) {
      for (const [net, list] of entry.nets) if (list.length === 0) entry.nets.delete(net);
      if (entry.nets.size === 0) this.#v6.delete(masks);
    }
  }

  collect(data: EventData, _event: EventEnvelope, out: G[]): void {
    const text = this.#read(data);
    if (typeof text !== 'string') return;
    const ip = parseIpCached(text);
    if (ip === undefined) return;
    if (ip.v === 4) {
      for (const [mask, nets] of this.#v4) pushAll(nets.get((ip.n & mask) >>> 0), out);
      return;
    }
    const [w0, w1, w2, w3] = ip.w as [number, number, number, number];
    for (const { m, nets } of this.#v6.values()) {
      pushAll(nets.get(v6Key((w0 & m[0]) >>> 0, (w1 & m[1]) >>> 0, (w2 & m[2]) >>> 0, (w3 & m[3]) >>> 0)), out);
    }
  }

  /** Calls `fn` with the bucket of every network, creating buckets as needed. */
  #each(networks: ParsedNetworks, fn: (list: G[]) => void): void {
    for (const { net, mask } of networks.v4) {
      let nets = this.#v4.get(mask);
      if (nets === undefined) this.#v4.set(mask, (nets = new Map()));
      let list = nets.get(net);
      if (list === undefined) nets.set(net, (list = []));
      fn(list);
    }
    for (const n of networks.v6) {
      const masksKey = v6Key(n.m0, n.m1, n.m2, n.m3);
      let entry = this.#v6.get(masksKey);
      if (entry === undefined) this.#v6.set(masksKey, (entry = { m: [n.m0, n.m1, n.m2, n.m3], nets: new Map() }));
      const netKey = v6Key(n.n0, n.n1, n.n2, n.n3);
      let list = entry.nets.get(netKey);
      if (list === undefined) entry.nets.set(netKey, (list = []));
      fn(list);
    }
  }
}

function pushAll<G>(list: G[] | undefined, out: G[]): void {
  if (list !== undefined) for (let i = 0; i < list.length; i++) out.push(list[i] as G);
}
