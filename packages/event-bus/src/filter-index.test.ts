import { CHANNELS, CHANNEL_NAMES, NsError, type ChannelName, type EventEnvelope } from '@ns/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './filter-compiler.js';
import { FilterIndex, indexedFields } from './filter-index.js';

const envelope = (channel: ChannelName, type: string, data: Record<string, unknown>) =>
  ({ type, channel, id: 'evt_1', seq: 1, epoch: 'e1', ts: 1, data }) as unknown as EventEnvelope;

/** Members of `index` that `event` reaches, in visiting order. */
function matched<T>(index: FilterIndex<T>, event: EventEnvelope): T[] {
  const out: T[] = [];
  index.match(event, (m) => out.push(m));
  return out;
}

/** A member that lends the index a slot (how @ns/ws-manager files subscriptions). */
interface SlotMember {
  readonly n: number;
  slot: unknown;
}
const memberSlot = { get: (m: SlotMember): unknown => m.slot, set: (m: SlotMember, v: unknown): void => void (m.slot = v) };

/**
 * The index under test with members named by numbers: plain numbers (the default, a map by member),
 * or objects whose own slot holds the index's record.
 */
function numberedIndex(channel: ChannelName, storage: 'map' | 'slot') {
  if (storage === 'map') {
    const index = new FilterIndex<number>(channel);
    return { index, add: (n: number, f: unknown) => index.add(n, f), remove: (n: number) => index.remove(n), has: (n: number) => index.has(n), matched: (e: EventEnvelope) => matched(index, e), members: () => [...index.members()] };
  }
  const index = new FilterIndex<SlotMember>(channel, { slot: memberSlot });
  const objects = new Map<number, SlotMember>();
  const of = (n: number): SlotMember => objects.get(n) ?? (objects.set(n, { n, slot: undefined }).get(n) as SlotMember);
  return {
    index,
    add: (n: number, f: unknown) => index.add(of(n), f),
    remove: (n: number) => index.remove(of(n)),
    has: (n: number) => index.has(of(n)),
    matched: (e: EventEnvelope) => matched(index, e).map((m) => m.n),
    members: () => [...index.members()].map((m) => m.n),
  };
}

// Small value domains, so that random filters and events often agree (and often do not).
const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
const SCORES = [0, 1, 2.5, 5, 7, 8.5, 10];
const NETWORKS = [
  '10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '192.168.0.0/16', '0.0.0.0/0', '2001:db8::/32',
  '2001:db8::1', '::/0', '::ffff:10.0.0.0/104', '::ffff:0:0/96', '::ffff:10.1.2.3', '::/8',
];
const ADDRESSES = ['10.1.2.3', '10.2.0.1', '192.168.1.1', '8.8.8.8', '::ffff:10.1.2.3', '::ffff:8.8.8.8', '2001:db8::5', '2001:db9::1', '::1', 'fe80::1', 'not-an-ip', ''];
const list = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 1, maxLength: 4 });
const optional = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { requiredKeys: [] });
/** A field value as an event may carry it: usual values, other types, or absent (`undefined`). */
const loose = <T>(usual: readonly T[]) => fc.oneof(fc.constantFrom(...usual), fc.constantFrom(undefined, null, '7', Number.NaN, Infinity, -1, true));

const filterArbs: Record<ChannelName, fc.Arbitrary<Record<string, unknown>>> = {
  threats: optional({
    min_score: fc.oneof(fc.constantFrom(...SCORES), fc.double({ min: 0, max: 10, noNaN: true })),
    levels: list(fc.constantFrom(...LEVELS)),
    event_types: list(fc.constantFrom('ssh', 'http', 'ftp')),
    source_cidrs: list(fc.constantFrom(...NETWORKS)),
  }),
  alerts: optional({ severities: list(fc.constantFrom(...LEVELS)), tags: list(fc.constantFrom('ssh', 'web', 'dns')) }),
  status: optional({ components: list(fc.constantFrom('api', 'db', 'sensor')) }),
  metrics: optional({ components: list(fc.constantFrom('api', 'db', 'sensor')) }),
  events: optional({ logtypes: list(fc.constantFrom(1, 2, 4002)), dst_ports: list(fc.constantFrom(22, 80, 2222)) }),
  correlations: optional({ patterns: list(fc.constantFrom('brute', 'scan')), min_score: fc.constantFrom(0, 0.5, 0.9, 1) }),
  system: fc.constant({}),
};

const eventArbs: Record<ChannelName, fc.Arbitrary<EventEnvelope>> = {
  threats: fc
    .record({
      threat_score: fc.oneof(loose(SCORES), fc.double({ min: -1, max: 11 })),
      threat_level: loose(LEVELS),
      event_type: loose(['ssh', 'http', 'ftp']),
      source_ip: loose(ADDRESSES),
    })
    .map((d) => envelope('threats', 'threat.new', d)),
  alerts: fc
    .record({
      type: fc.constantFrom('alert.new', 'alert.acknowledged', 'alert.resolved'),
      severity: loose(LEVELS),
      tags: fc.oneof(fc.array(fc.constantFrom('ssh', 'web', 'dns', 'x'), { maxLength: 3 }), loose(['ssh'])),
    })
    .map(({ type, ...d }) => envelope('alerts', type, d)),
  status: fc.record({ component: loose(['api', 'db', 'sensor', 'x']) }).map((d) => envelope('status', 'status.update', d)),
  metrics: fc.record({ component: loose(['api', 'db', 'x']) }).map((d) => envelope('metrics', 'metrics.update', d)),
  events: fc.record({ logtype: loose([1, 2, 4002, 3]), dst_port: loose([22, 80, 2222, 443]) }).map((d) => envelope('events', 'event.raw', d)),
  correlations: fc.record({ pattern: loose(['brute', 'scan', 'x']), correlation_score: loose([0, 0.4, 0.5, 0.95, 1]) }).map((d) => envelope('correlations', 'correlation.detected', d)),
  system: fc.constant(envelope('system', 'system.notice', {})),
};

// Opaque predicates (the bus accepts one in place of a typed filter): tested on every event.
const PREDICATES = [(e: EventEnvelope) => JSON.stringify(e.data).length % 2 === 0, () => false];

describe('FilterIndex', () => {
  it.each(CHANNEL_NAMES.flatMap((c) => [[c, 'map'] as const, [c, 'slot'] as const]))('reaches exactly the members compileFilter accepts (%s, members in a %s, random filters and events)', (channel, storage) => {
    // A pool of filters (undefined = everything, predicates, typed filters) that members pick from, so
    // identical filters share a group; some members are then removed or re-filed.
    const filterOrPredicate = fc.oneof(
      { weight: 6, arbitrary: filterArbs[channel] },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...PREDICATES) },
    );
    const scenario = fc.record({
      pool: fc.array(filterOrPredicate, { minLength: 1, maxLength: 8 }),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
      changes: fc.array(fc.record({ member: fc.nat(), pick: fc.option(fc.nat()) }), { maxLength: 10 }),
      events: fc.array(eventArbs[channel], { minLength: 1, maxLength: 10 }),
    });
    fc.assert(
      fc.property(scenario, ({ pool, picks, changes, events }) => {
        const subject = numberedIndex(channel, storage);
        const naive = new Map<number, (e: EventEnvelope) => boolean>();
        const file = (member: number, pick: number) => {
          const filter = pool[pick % pool.length];
          subject.add(member, filter);
          naive.set(member, compileFilter(channel, filter));
        };
        picks.forEach((pick, member) => file(member, pick));
        for (const { member, pick } of changes) {
          const m = member % picks.length;
          if (pick === null) {
            expect(subject.remove(m)).toBe(naive.delete(m));
          } else {
            file(m, pick);
          }
        }
        expect(subject.index.size).toBe(naive.size);
        expect(subject.members().sort((a, b) => a - b)).toEqual([...naive.keys()].sort((a, b) => a - b));
        for (let m = 0; m < picks.length; m++) expect(subject.has(m)).toBe(naive.has(m));
        for (const event of events) {
          const got = subject.matched(event);
          expect(new Set(got).size).toBe(got.length);
          const want = [...naive].filter(([, accepts]) => accepts(event)).map(([m]) => m);
          expect(got.sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('knows every filter field of every channel', () => {
    for (const channel of CHANNEL_NAMES) {
      const shape = (CHANNELS[channel].filter as unknown as { shape: Record<string, unknown> }).shape;
      expect(indexedFields(channel).sort(), channel).toEqual(Object.keys(shape).sort());
    }
  });

  it('evaluates identical filters once, whatever their field and value order', () => {
    const index = new FilterIndex<string>('threats');
    index.add('a', { levels: ['high', 'critical'], min_score: 5 });
    index.add('b', { min_score: 5, levels: ['critical', 'high', 'high'] });
    index.add('c', { min_score: 5 });
    expect(index.groupCount).toBe(2);
    let calls = 0;
    index.add('d', () => (calls++, true));
    const event = envelope('threats', 'threat.new', { threat_score: 6, threat_level: 'high', event_type: 'x', source_ip: '10.0.0.1' });
    expect(matched(index, event).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(calls).toBe(1);
    expect(index.remove('a')).toBe(true);
    expect(index.remove('a')).toBe(false);
    expect(index.groupCount).toBe(3);
    index.remove('b');
    expect(index.groupCount).toBe(2);
  });

  it('refuses an invalid filter with the NsError naming the field and keeps the member where it was', () => {
    const index = new FilterIndex<string>('threats');
    index.add('a', { levels: ['high'] });
    let error: unknown;
    try {
      index.add('a', { min_score: -1 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NsError);
    expect((error as NsError).message).toContain('filter.min_score');
    expect(() => index.add('b', { level: ['high'] })).toThrow(NsError);
    expect(index.size).toBe(1);
    expect(matched(index, envelope('threats', 'threat.new', { threat_level: 'high' }))).toEqual(['a']);
  });

  it('re-files a member with a new filter', () => {
    const index = new FilterIndex<string>('status');
    index.add('a', { components: ['api'] });
    index.add('a', { components: ['db'] });
    index.add('a', { components: ['db'] });
    expect(index.size).toBe(1);
    expect(index.groupCount).toBe(1);
    expect(matched(index, envelope('status', 'status.update', { component: 'api' }))).toEqual([]);
    expect(matched(index, envelope('status', 'status.update', { component: 'db' }))).toEqual(['a']);
  });

  it('lets a visit remove members, skipping removed ones not yet visited', () => {
    const index = new FilterIndex<number>('threats');
    for (let m = 0; m < 10; m++) index.add(m, m % 2 === 0 ? undefined : { levels: ['high'] });
    const seen: number[] = [];
    index.match(envelope('threats', 'threat.new', { threat_level: 'high' }), (m) => {
      seen.push(m);
      for (let other = 0; other < 10; other++) if (other !== m) index.remove(other);
    });
    expect(seen).toHaveLength(1);
    expect(index.size).toBe(1);
  });
});
