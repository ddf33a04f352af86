import { CHANNELS, type ChannelName, type EventEnvelope } from '@ns/contracts';
import { CidrBuckets, ThresholdList, ValueBuckets, type Dimension, type EventData } from './filter-dimensions.js';
import { compileFilter, type EventPredicate } from './filter-compiler.js';

/** How one filter field of a channel is indexed; `rank` orders the choice of a group's anchor field. */
interface FieldSpec {
  readonly field: string;
  readonly rank: number;
  make<G>(): Dimension<G>;
}

// Lower rank = tried first as the anchor: an exact-value bucket usually selects fewest candidates,
// a threshold most (every lower threshold passes).
const values = (field: string, read: (d: EventData) => unknown, o: { anyOf?: boolean; stateChanges?: boolean } = {}): FieldSpec => ({
  field,
  rank: o.anyOf === true ? 1 : 0,
  make: () => new ValueBuckets(read, { anyOf: o.anyOf ?? false, passStateChangesWithout: o.stateChanges ?? false }),
});
const networks = (field: string, read: (d: EventData) => unknown): FieldSpec => ({ field, rank: 2, make: () => new CidrBuckets(read) });
const minimum = (field: string, read: (d: EventData) => unknown): FieldSpec => ({ field, rank: 3, make: () => new ThresholdList(read) });

// Every filter field of every channel (docs/protocol.md#filters) and the event field it tests, as in
// `compileFilter`; a test checks this table against the channel registry's filter schemas. Each reader
// is its own function so property loads stay monomorphic.
const CHANNEL_FIELDS: Record<ChannelName, readonly FieldSpec[]> = {
  threats: [
    values('event_types', (d) => d.event_type),
    values('levels', (d) => d.threat_level),
    networks('source_cidrs', (d) => d.source_ip),
    minimum('min_score', (d) => d.threat_score),
  ],
  alerts: [values('severities', (d) => d.severity, { stateChanges: true }), values('tags', (d) => d.tags, { anyOf: true, stateChanges: true })],
  status: [values('components', (d) => d.component)],
  metrics: [values('components', (d) => d.component)],
  events: [values('logtypes', (d) => d.logtype), values('dst_ports', (d) => d.dst_port)],
  correlations: [values('patterns', (d) => d.pattern), minimum('min_score', (d) => d.correlation_score)],
  system: [],
};

/** The filter fields the index knows for `channel` (exported for the coverage test). */
export const indexedFields = (channel: ChannelName): string[] => CHANNEL_FIELDS[channel].map((f) => f.field);

/** The members sharing one filter: evaluated once per event for all of them. */
interface Group<T> {
  readonly key: string | EventPredicate;
  readonly predicate: EventPredicate;
  readonly members: Set<T>;
  /** The anchor field's lookup alone decides (the filter constrains nothing else). */
  readonly exact: boolean;
  /** Where it is filed: a field's dimension and its filter value, or -1 (tested on every event). */
  readonly anchor: number;
  readonly anchorValue: unknown;
  stamp: number;
}

/**
 * A field on each member that a {@link FilterIndex} may use as its own (`undefined` when the member is
 * not indexed). The owner declares it on the member type and never touches it otherwise.
 */
export interface MemberSlot<T> {
  get(member: T): unknown;
  set(member: T, value: unknown): void;
}

/** Options of {@link FilterIndex}. */
export interface FilterIndexOptions<T> {
  slot?: MemberSlot<T>;
}

/** The default slot: a map keyed by member (any member type, e.g. numbers in tests). */
function mapSlot<T>(): MemberSlot<T> {
  const byMember = new Map<T, unknown>();
  return {
    get: (member) => byMember.get(member),
    set: (member, value) => {
      if (value === undefined) byMember.delete(member);
      else byMember.set(member, value);
    },
  };
}

/** A canonical text for a validated filter: fields sorted, list values de-duplicated and sorted. */
function canonicalKey(data: Record<string, unknown>): string {
  let key = '';
  for (const field of Object.keys(data).sort()) {
    const v = data[field];
    if (v === undefined) continue;
    const text = Array.isArray(v) ? `[${[...new Set(v.map((x) => JSON.stringify(x)))].sort().join(',')}]` : JSON.stringify(v);
    key += `${JSON.stringify(field)}:${text};`;
  }
  return key;
}

/**
 * The subscriptions of one channel indexed by their filters (docs/architecture.md#fan-out), so that an
 * event finds its matching members without testing every filter: identical filters form one group,
 * evaluated once; each group is filed under one of its fields (its anchor: a bucket per wanted value
 * for list fields, a sorted threshold list for `min_score`, a table per prefix length for
 * `source_cidrs`), and an event tests only the groups its own field values select — a group
 * constrained by its anchor field alone needs no further test. The result is exactly the members whose
 * `compileFilter(channel, filter)` accepts the event (checked by a property test).
 */
export class FilterIndex<T> {
  readonly channel: ChannelName;
  readonly #fields: readonly FieldSpec[];
  readonly #dims: Dimension<Group<T>>[];
  readonly #groups = new Map<string | EventPredicate, Group<T>>();
  /** Each member's group: on the member itself when the owner lends a slot, else in a map. */
  readonly #slot: MemberSlot<T>;
  /** Groups without an indexed field: everything (exact), or a caller's predicate. */
  readonly #unindexed: Group<T>[] = [];
  #size = 0;
  #stamp = 0;

  /**
   * `options.slot`: where the index may keep its record of each member on the member itself (one
   * field the owner declares and never touches), instead of in a map keyed by member, which costs
   * every member a map entry (~50 bytes, and rehash garbage while the index grows).
   */
  constructor(channel: ChannelName, options: FilterIndexOptions<T> = {}) {
    this.channel = channel;
    this.#fields = CHANNEL_FIELDS[channel];
    this.#dims = this.#fields.map((f) => f.make<Group<T>>());
    this.#slot = options.slot ?? mapSlot<T>();
  }

  /** Members indexed. */
  get size(): number {
    return this.#size;
  }

  /** Distinct filters among the members. */
  get groupCount(): number {
    return this.#groups.size;
  }

  has(member: T): boolean {
    return this.#slot.get(member) !== undefined;
  }

  /** Every member, group by group. */
  *members(): IterableIterator<T> {
    for (const group of this.#groups.values()) yield* group.members;
  }

  /**
   * Adds (or re-files) `member` with `filter`: the channel's typed filter, a predicate (tested on every
   * event), or `undefined` (everything). Throws `compileFilter`'s `NsError` for an invalid filter,
   * leaving the index unchanged.
   */
  add(member: T, filter?: unknown): void {
    const group = this.#groupFor(filter);
    if (this.#slot.get(member) === group) return;
    this.remove(member);
    group.members.add(member);
    this.#slot.set(member, group);
    this.#size++;
  }

  /** Removes `member`; true when it was there. */
  remove(member: T): boolean {
    const group = this.#slot.get(member) as Group<T> | undefined;
    if (group === undefined) return false;
    this.#slot.set(member, undefined);
    this.#size--;
    group.members.delete(member);
    if (group.members.size === 0) this.#drop(group);
    return true;
  }

  /**
   * Calls `visit` once for every member whose filter accepts `event`. Members added or removed by
   * `visit` itself are safe: a removed member not yet visited is skipped.
   */
  match(event: EventEnvelope, visit: (member: T) => void): void {
    const found: Group<T>[] = [];
    const data = event.data as EventData;
    const dims = this.#dims;
    for (let i = 0; i < dims.length; i++) {
      const dim = dims[i] as Dimension<Group<T>>;
      if (dim.size > 0) dim.collect(data, event, found);
    }
    for (const g of this.#unindexed) found.push(g);
    // De-duplicate before visiting (an `anyOf` or CIDR field can select a group twice), so that a
    // nested match from inside `visit` cannot disturb this one.
    const stamp = ++this.#stamp;
    let n = 0;
    for (let i = 0; i < found.length; i++) {
      const g = found[i] as Group<T>;
      if (g.stamp === stamp) continue;
      g.stamp = stamp;
      found[n++] = g;
    }
    for (let i = 0; i < n; i++) {
      const g = found[i] as Group<T>;
      if (!g.exact && !g.predicate(event)) continue;
      for (const member of g.members) visit(member);
    }
  }

  #groupFor(filter: unknown): Group<T> {
    // Validates first (throws the NsError naming the field); the compiled predicate is kept only by a new group.
    const predicate = compileFilter(this.channel, filter);
    if (typeof filter === 'function') return this.#groups.get(predicate) ?? this.#create(predicate, predicate, {});
    const data = (filter === undefined ? {} : CHANNELS[this.channel].filter.parse(filter)) as Record<string, unknown>;
    const key = canonicalKey(data);
    return this.#groups.get(key) ?? this.#create(key, predicate, data);
  }

  #create(key: string | EventPredicate, predicate: EventPredicate, data: Record<string, unknown>): Group<T> {
    const given = Object.keys(data).filter((f) => data[f] !== undefined);
    const known = this.#fields.map((spec, i) => ({ spec, i })).filter(({ spec }) => data[spec.field] !== undefined);
    const size = (v: unknown) => (Array.isArray(v) ? v.length : 1);
    known.sort((a, b) => a.spec.rank - b.spec.rank || size(data[a.spec.field]) - size(data[b.spec.field]) || a.i - b.i);
    const anchor = typeof key === 'function' ? undefined : known[0];
    const group: Group<T> = {
      key,
      predicate,
      members: new Set(),
      // A field this table does not know (a schema added one) is left to the predicate.
      exact: typeof key !== 'function' && given.length === known.length && known.length <= 1,
      anchor: anchor?.i ?? -1,
      anchorValue: anchor === undefined ? undefined : data[anchor.spec.field],
      stamp: 0,
    };
    if (anchor === undefined) this.#unindexed.push(group);
    else (this.#dims[anchor.i] as Dimension<Group<T>>).add(group, group.anchorValue);
    this.#groups.set(key, group);
    return group;
  }

  #drop(group: Group<T>): void {
    this.#groups.delete(group.key);
    if (group.anchor < 0) {
      const i = this.#unindexed.indexOf(group);
      if (i >= 0) this.#unindexed.splice(i, 1);
    } else {
      (this.#dims[group.anchor] as Dimension<Group<T>>).remove(group, group.anchorValue);
    }
  }
}
