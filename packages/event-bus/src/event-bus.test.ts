import { NsError, parsePublishRequest, type PublishEvent, type ValidPublishEvent } from '@ns/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from './bus-event.js';
import type { AppendResult, EngineListener, PendingEvent } from './engine.js';
import type { Logger } from '@ns/contracts/support';
import { EventBus } from './event-bus.js';
import { MemoryEngine } from './memory-engine.js';
import { sampleEvents } from './sample-events.js';

const { threat, alert, alertState, status, metrics, raw, correlation, notice } = sampleEvents;

/** Rejection of a promise, as an NsError (fails the test when it resolves). */
async function rejected(p: Promise<unknown>): Promise<NsError> {
  const outcome = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof NsError)) throw outcome;
  return outcome;
}

function thrown(fn: () => unknown): NsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NsError) return err;
    throw err;
  }
  throw new Error('expected a throw');
}

/** A memory engine that counts append calls (a real engine, observed). */
class CountingEngine extends MemoryEngine {
  appendCalls = 0;
  override append(events: readonly PendingEvent[]): Promise<AppendResult[]> {
    this.appendCalls++;
    return super.append(events);
  }
}

/** An engine whose backend fails like a lost Redis connection. */
class BrokenEngine extends MemoryEngine {
  override append(): Promise<AppendResult[]> {
    return Promise.reject(new Error('ECONNREFUSED'));
  }
  override heads(): never {
    throw new Error('ECONNREFUSED');
  }
  override history(): Promise<never> {
    return Promise.reject(new Error('ECONNREFUSED'));
  }
}

/** An engine whose feed repeats every event (at-least-once delivery, as a pub/sub feed may do). */
class RepeatingEngine extends MemoryEngine {
  override subscribe(listener: EngineListener): () => void {
    return super.subscribe((e) => {
      listener(e);
      listener(e);
    });
  }
}

function recordingLogger() {
  const errors: { obj: object; msg?: string }[] = [];
  let waiters: (() => void)[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (obj, msg) => {
      errors.push({ obj, msg });
      for (const w of waiters) w();
      waiters = [];
    },
  };
  return { logger, errors, next: () => new Promise<void>((resolve) => waiters.push(resolve)) };
}

describe('EventBus', () => {
  const buses: EventBus[] = [];
  const make = (options?: ConstructorParameters<typeof EventBus>[0]) => {
    const bus = new EventBus(options);
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map(async (b) => {
      await b.close();
      await b.engine.close();
    }));
  });

  describe('publish', () => {
    it('resolves with a generated id, the channel and seq 1, and delivers the full envelope', async () => {
      const bus = make({ engine: new MemoryEngine({ epoch: 'k3v9q1' }), now: () => 1764115200.5 });
      const got: BusEvent[] = [];
      bus.subscribe('threats', (e) => got.push(e));
      const result = await bus.publish(threat());
      expect(result).toEqual({ id: expect.stringMatching(/^evt_[0-9A-Z]{26}$/), channel: 'threats', seq: 1 });
      expect(got).toHaveLength(1);
      expect(got[0]!.envelope).toEqual({
        type: 'threat.new',
        channel: 'threats',
        id: result.id,
        seq: 1,
        epoch: 'k3v9q1',
        ts: 1764115200.5,
        data: threat().data,
      });
      expect(JSON.parse(got[0]!.json)).toEqual(got[0]!.envelope);
    });

    it('keeps a publisher-supplied id and passes unknown data fields through', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('alert.new', (e) => got.push(e));
      const event = { type: 'alert.new', id: 'alert_123', data: { ...alert().data, future_field: 1 } } as PublishEvent;
      expect(await bus.publish(event)).toEqual({ id: 'alert_123', channel: 'alerts', seq: 1 });
      expect(got[0]!.envelope.data).toMatchObject({ future_field: 1 });
    });

    it('assigns seq strictly +1 from 1 per channel, in call order, with one stable epoch', async () => {
      const bus = make();
      const inputs = Array.from({ length: 60 }, (_, i) => [threat(), alert(), notice()][i % 3] as PublishEvent);
      const results = await Promise.all(inputs.map((e) => bus.publish(e)));
      for (const channel of ['threats', 'alerts', 'system'] as const) {
        expect(results.filter((r) => r.channel === channel).map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      const history = await bus.history('threats');
      expect(new Set(history.events.map((e) => e.envelope.epoch))).toEqual(new Set([history.epoch]));
      expect((await bus.heads()).threats).toEqual({ epoch: history.epoch, seq: 20 });
    });

    it('rejects invalid events with an NsError naming the field, and delivers nothing', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('*', (e) => got.push(e));
      const badScore = await rejected(bus.publish(threat({ threat_score: Number.NaN })));
      expect(badScore.code).toBe('invalid_message');
      expect(badScore.message).toMatch(/^data\.threat_score: /);
      expect(badScore.issues?.[0]?.path).toBe('data.threat_score');
      const badIp = await rejected(bus.publish(threat({ source_ip: '999.1.1.1' })));
      expect(badIp.issues?.[0]?.path).toBe('data.source_ip');
      expect((await rejected(bus.publish({ type: 'threat.deleted', data: {} } as never))).code).toBe('unknown_type');
      expect((await rejected(bus.publish({ ...threat(), extra: 1 } as never))).code).toBe('invalid_message');
      expect((await rejected(bus.publish({ ...threat(), events: [] } as never))).issues?.[0]?.path).toBe('events');
      expect((await rejected(bus.publish(null as never))).code).toBe('invalid_message');
      expect(got).toEqual([]);
      expect((await bus.heads()).threats.seq).toBe(0);
    });

    it('answers the same event republished within the window with the original result, duplicate, and does not deliver it again', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('alerts', (e) => got.push(e));
      const first = await bus.publish({ ...alert(), id: 'alert_7' });
      await bus.publish(alert());
      const again = await bus.publish({ ...alert(), id: 'alert_7' });
      expect(first).toEqual({ id: 'alert_7', channel: 'alerts', seq: 1 });
      expect(again).toEqual({ ...first, duplicate: true });
      expect(got.map((e) => e.seq)).toEqual([1, 2]);
      expect(bus.metrics().duplicates).toBe(1);
      expect(bus.metrics().publishedByChannel.alerts).toBe(2);
    });

    it('refuses an id reused for a different event with id_conflict on the field id, and delivers nothing', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('alerts', (e) => got.push(e));
      await bus.publish({ ...alert(), id: 'alert_7' });
      const err = await rejected(bus.publish({ ...alert({ message: 'retry' }), id: 'alert_7' }));
      expect(err.code).toBe('id_conflict');
      expect(err.issues).toEqual([{ path: 'id', code: 'id_conflict', message: expect.stringContaining('"alert_7"') }]);
      const batch = await rejected(bus.publishBatch([alert(), { ...alert({ message: 'retry' }), id: 'alert_7' }]));
      expect(batch.issues?.map((i) => [i.index, i.path])).toEqual([[1, 'events[1].id']]);
      expect(got.map((e) => e.seq)).toEqual([1]);
      expect(bus.metrics().publishedByChannel.alerts).toBe(1);
    });
  });

  describe('publishBatch', () => {
    it('validates every event first: one invalid event publishes nothing and reports issues per index', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('*', (e) => got.push(e));
      const err = await rejected(bus.publishBatch([threat(), threat({ source_ip: 'nope' }), alert(), status('x', { status: 'sleepy' } as never)]));
      expect(err.code).toBe('invalid_message');
      expect(err.issues?.map((i) => [i.index, i.path])).toEqual([
        [1, 'events[1].data.source_ip'],
        [3, 'events[3].data.status'],
      ]);
      expect(got).toEqual([]);
      const heads = await bus.heads();
      expect([heads.threats.seq, heads.alerts.seq, heads.status.seq]).toEqual([0, 0, 0]);
    });

    it('appends a whole batch in one engine call, with results in input order', async () => {
      const engine = new CountingEngine();
      const bus = make({ engine });
      const got: number[] = [];
      bus.subscribe('*', (e) => got.push(e.seq));
      const results = await bus.publishBatch([threat(), alert(), threat(), { ...notice(), id: 'n1' }]);
      expect(engine.appendCalls).toBe(1);
      expect(results.map((r) => [r.channel, r.seq])).toEqual([
        ['threats', 1],
        ['alerts', 1],
        ['threats', 2],
        ['system', 1],
      ]);
      expect(results[3]!.id).toBe('n1');
      expect(got).toEqual([1, 1, 2, 1]);
      expect(bus.metrics().publishLatency.count).toBe(1);
    });

    it('accepts an empty batch as a no-op and refuses more than 1000 events', async () => {
      const engine = new CountingEngine();
      const bus = make({ engine });
      expect(await bus.publishBatch([])).toEqual([]);
      expect(engine.appendCalls).toBe(0);
      expect((await rejected(bus.publishBatch(Array.from({ length: 1001 }, () => notice())))).code).toBe('message_too_large');
      expect((await rejected(bus.publishBatch('x' as never))).code).toBe('invalid_message');
    });

    it('trusts events the contracts parser accepted (no second validation) and builds their JSON around the parsed data', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('*', (e) => got.push(e));
      const parse = (events: PublishEvent[]): ValidPublishEvent[] => {
        const parsed = parsePublishRequest({ events });
        if (!parsed.success) throw parsed.error;
        return parsed.data.events;
      };
      const valid = parse([threat({ source_ip: '2001:db8::1' }), alert({ message: 'ü ✓ "quoted" \u2028' }), { ...notice(), id: 'n-1' }]);
      await bus.publishBatch(valid);
      expect(got.map((e) => e.json)).toEqual(got.map((e) => JSON.stringify(e.envelope)));
      expect(got.map((e) => e.envelope.data)).toEqual(valid.map((e) => e.data));

      // Changed after the parser accepted it: the bus does not look again (a raw event like this is refused).
      const [late] = parse([threat()]);
      (late!.data as Record<string, unknown>).source_ip = 'nope';
      expect((await bus.publishBatch([late!]))[0]!.seq).toBe(2);
      expect((await rejected(bus.publishBatch([threat({ source_ip: 'nope' })]))).code).toBe('invalid_message');
      // A batch mixing accepted and raw events is validated as a whole, the raw ones included.
      const err = await rejected(bus.publishBatch([...parse([threat()]), threat({ source_ip: 'nope' })]));
      expect(err.issues?.map((i) => i.path)).toEqual(['events[1].data.source_ip']);
      // More than 1000 accepted events are still too many for one batch.
      const many = [...parse(Array.from({ length: 600 }, () => notice())), ...parse(Array.from({ length: 401 }, () => notice()))];
      expect((await rejected(bus.publishBatch(many))).code).toBe('message_too_large');
    });

    it('serializes data anew when a transform changed it', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      bus.subscribe('threats', (e) => got.push(e));
      bus.use('threat.new', (data) => ({ ...data, threat_score: 1 }));
      const parsed = parsePublishRequest(threat({ threat_score: 9 }));
      if (!parsed.success) throw parsed.error;
      await bus.publish(parsed.data.events[0]!);
      expect(got[0]!.envelope.data.threat_score).toBe(1);
      expect(got[0]!.json).toBe(JSON.stringify(got[0]!.envelope));
    });
  });

  describe('routing', () => {
    it('routes by exact type, domain wildcard, channel and *', async () => {
      const bus = make();
      const seen: Record<string, string[]> = { exact: [], wildcard: [], channel: [], all: [] };
      bus.subscribe('alert.resolved', (e) => seen.exact!.push(e.type));
      bus.subscribe('alert.*', (e) => seen.wildcard!.push(e.type));
      bus.subscribe('alerts', (e) => seen.channel!.push(e.type));
      bus.subscribe('*', (e) => seen.all!.push(e.type));
      await bus.publishBatch([alert(), alertState('alert.resolved'), threat(), status('kafka')]);
      expect(seen).toEqual({
        exact: ['alert.resolved'],
        wildcard: ['alert.new', 'alert.resolved'],
        channel: ['alert.new', 'alert.resolved'],
        all: ['alert.new', 'alert.resolved', 'threat.new', 'status.update'],
      });
    });

    it('rejects unknown patterns, and typed filters on patterns spanning channels', () => {
      const bus = make();
      expect(thrown(() => bus.subscribe('threat.deleted', () => {})).code).toBe('unknown_type');
      expect(thrown(() => bus.subscribe('threat', () => {})).code).toBe('unknown_channel');
      expect(thrown(() => bus.subscribe('*', () => {}, { filter: { min_score: 1 } })).code).toBe('invalid_message');
      expect(thrown(() => bus.subscribe('threats', () => {}, { filter: { min_score: 'x' } })).message).toMatch(/^filter\.min_score/);
      expect(thrown(() => bus.subscribe('threats', 'x' as never)).code).toBe('invalid_message');
      expect(() => bus.subscribe('*', () => {}, { filter: (e) => e.channel === 'threats' })).not.toThrow();
    });

    it('applies typed filters per channel and predicate filters, counting what they reject', async () => {
      const bus = make();
      const hits: Record<string, number[]> = { threats: [], ipv6: [], alerts: [], status: [], events: [], correlations: [], predicate: [] };
      const push = (k: string) => (e: BusEvent) => hits[k]!.push(e.seq);
      bus.subscribe('threats', push('threats'), { filter: { min_score: 7, levels: ['high', 'critical'] } });
      bus.subscribe('threat.new', push('ipv6'), { filter: { source_cidrs: ['2001:db8::/32'] } });
      bus.subscribe('alerts', push('alerts'), { filter: { severities: ['critical'] } });
      bus.subscribe('status', push('status'), { filter: { components: ['kafka'] } });
      bus.subscribe('events', push('events'), { filter: { dst_ports: [22] } });
      bus.subscribe('correlations', push('correlations'), { filter: { patterns: ['port_scan'] } });
      bus.subscribe('*', push('predicate'), { filter: (e) => e.channel === 'metrics' });
      await bus.publishBatch([
        threat({ threat_score: 9 }),
        threat({ threat_score: 3 }),
        threat({ source_ip: '2001:db8::7', threat_level: 'critical' }),
        alert({ severity: 'low' }),
        alert({ severity: 'critical' }),
        status('kafka'),
        status('redis'),
        raw({ dst_port: 22 }),
        raw({ dst_port: 80 }),
        correlation({ pattern: 'port_scan' }),
        correlation(),
        metrics('kafka'),
      ]);
      expect(hits).toEqual({ threats: [1, 3], ipv6: [3], alerts: [2], status: [1], events: [1], correlations: [1], predicate: [1] });
      const m = bus.metrics();
      // Each subscription counts its own rejections (the '*' predicate rejects every non-metrics event).
      expect(m.filteredOut).toMatchObject({ threats: 3 + 3, alerts: 1 + 2, status: 1 + 2, events: 1 + 2, correlations: 1 + 2, metrics: 0 });
      expect(m.delivered).toMatchObject({ threats: 3, alerts: 1, status: 1, events: 1, correlations: 1, metrics: 1 });
    });

    it('hands every subscriber the same event object, serialized at most once', async () => {
      const bus = make();
      const got: BusEvent[] = [];
      for (let i = 0; i < 3; i++) bus.subscribe('threats', (e) => got.push(e));
      await bus.publish(threat());
      expect(new Set(got).size).toBe(1);
      expect(got[0]!.json).toBe(got[0]!.json);
      const replayed = (await bus.history('threats')).events[0]!;
      expect(replayed).toBe(got[0]);
    });

    it('fans out to every bus attached to the engine', async () => {
      const engine = new MemoryEngine();
      const a = make({ engine });
      const b = make({ engine });
      const got: string[] = [];
      b.subscribe('system', (e) => got.push(e.envelope.data.message as string));
      await a.publish(notice('from a'));
      expect(got).toEqual(['from a']);
    });

    it('drops repeats of a seq from the engine feed and counts them', async () => {
      const bus = make({ engine: new RepeatingEngine() });
      const got: number[] = [];
      bus.subscribe('threats', (e) => got.push(e.seq));
      await bus.publishBatch([threat(), threat()]);
      expect(got).toEqual([1, 2]);
      expect(bus.metrics().dropped.threats).toBe(2);
    });
  });

  describe('transforms', () => {
    it('applies the chain once per event, in order, before sequencing', async () => {
      const bus = make();
      const calls: string[] = [];
      bus.use('threat.new', (data, e) => {
        calls.push(`enrich:${e.id}`);
        return { ...data, geo: 'NL' };
      });
      bus.use('threats', (data) => {
        calls.push('redact');
        const { source_ip: _drop, ...rest } = data;
        return { ...rest, source_ip: '0.0.0.0', had_geo: data.geo === 'NL' };
      });
      const got: BusEvent[] = [];
      for (let i = 0; i < 5; i++) bus.subscribe('threats', (e) => got.push(e));
      const { id } = await bus.publish(threat());
      expect(calls).toEqual([`enrich:${id}`, 'redact']);
      expect(got).toHaveLength(5);
      expect(got[0]!.envelope.data).toMatchObject({ geo: 'NL', source_ip: '0.0.0.0', had_geo: true });
      expect((await bus.history('threats')).events[0]!.envelope.data).toMatchObject({ source_ip: '0.0.0.0' });
    });

    it('fails the publish (nothing published) when a transform throws, and stops after removal', async () => {
      const bus = make();
      const remove = bus.use('alert.*', () => {
        throw new Error('enricher down');
      });
      const err = await rejected(bus.publishBatch([threat(), alert()]));
      expect(err.code).toBe('internal');
      expect((await bus.heads()).threats.seq).toBe(0);
      remove();
      expect(await bus.publish(alert())).toMatchObject({ seq: 1 });
    });
  });

  describe('handlers', () => {
    it('does not let a throwing handler or a 1 s async handler delay delivery to others; both are counted', async () => {
      const { logger, errors, next } = recordingLogger();
      const bus = make({ logger });
      const order: string[] = [];
      let slowDone = false;
      bus.subscribe('threats', () => {
        order.push('throwing');
        throw new Error('handler bug');
      });
      bus.subscribe('threats', async () => {
        order.push('slow started');
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        slowDone = true;
      });
      bus.subscribe('threats', async () => {
        order.push('rejecting');
        throw new Error('async handler bug');
      });
      bus.subscribe('threats', () => order.push('fast'));
      const rejectionLogged = next();
      await bus.publish(threat());
      // Everyone got the event during the publish; the slow handler is still running.
      expect(order).toEqual(['throwing', 'slow started', 'rejecting', 'fast']);
      expect(slowDone).toBe(false);
      await rejectionLogged;
      const m = bus.metrics();
      expect(m.delivered.threats).toBe(4);
      expect(m.handlerErrors.threats).toBe(2);
      expect(errors.map((e) => e.msg)).toEqual(['event handler failed', 'event handler failed']);
      expect(errors[0]!.obj).toMatchObject({ channel: 'threats', pattern: 'threats' });
    });

    it('counts a throwing predicate filter as a handler error and skips that subscriber only', async () => {
      const bus = make();
      const got: number[] = [];
      bus.subscribe('system', () => got.push(0), {
        filter: () => {
          throw new Error('bad predicate');
        },
      });
      bus.subscribe('system', (e) => got.push(e.seq));
      await bus.publish(notice());
      expect(got).toEqual([1]);
      expect(bus.metrics().handlerErrors.system).toBe(1);
    });

    it('dispatches to a snapshot: unsubscribing during dispatch skips the removed handler, and a handler added then waits for the next event', async () => {
      const bus = make();
      const log: string[] = [];
      let unsubscribeB = () => {};
      bus.subscribe('system', (e) => {
        log.push(`a${e.seq}`);
        unsubscribeB();
        if (e.seq === 1) bus.subscribe('system', (e2) => log.push(`late${e2.seq}`));
      });
      unsubscribeB = bus.subscribe('system', (e) => log.push(`b${e.seq}`));
      bus.subscribe('system', (e) => log.push(`c${e.seq}`));
      await bus.publish(notice());
      await bus.publish(notice());
      expect(log).toEqual(['a1', 'c1', 'a2', 'c2', 'late2']);
    });

    it('stops delivering after unsubscribe (which may be called twice)', async () => {
      const bus = make();
      const got: number[] = [];
      const off = bus.subscribe('system', (e) => got.push(e.seq));
      await bus.publish(notice());
      off();
      off();
      await bus.publish(notice());
      expect(got).toEqual([1]);
    });
  });

  describe('micro-batches', () => {
    it('delivers batches of maxEvents at once and the remainder after maxDelayMs', async () => {
      const bus = make();
      const batches: number[][] = [];
      let resolveLast: () => void = () => {};
      const last = new Promise<void>((r) => (resolveLast = r));
      bus.subscribe(
        'system',
        (events) => {
          batches.push(events.map((e) => e.seq));
          if (events.at(-1)?.seq === 25) resolveLast();
        },
        { batch: { maxEvents: 10, maxDelayMs: 5 } },
      );
      await bus.publishBatch(Array.from({ length: 25 }, () => notice()));
      expect(batches.map((b) => b.length)).toEqual([10, 10]);
      await last;
      expect(batches.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(bus.metrics().delivered.system).toBe(25);
    });

    it('drops a pending batch on unsubscribe (counted) and flushes it on close', async () => {
      const bus = make();
      const flushed: number[] = [];
      const off = bus.subscribe('system', () => {}, { batch: { maxEvents: 100, maxDelayMs: 60_000 } });
      bus.subscribe('system', (events) => flushed.push(...events.map((e) => e.seq)), { batch: { maxEvents: 100, maxDelayMs: 60_000 } });
      await bus.publishBatch([notice(), notice(), notice()]);
      off();
      expect(bus.metrics().dropped.system).toBe(3);
      expect(flushed).toEqual([]);
      await bus.close();
      expect(flushed).toEqual([1, 2, 3]);
    });

    it('counts a failing batch handler', async () => {
      const bus = make();
      bus.subscribe(
        'system',
        () => {
          throw new Error('sink down');
        },
        { batch: { maxEvents: 2 } },
      );
      await bus.publishBatch([notice(), notice()]);
      expect(bus.metrics().handlerErrors.system).toBe(1);
      expect(thrown(() => bus.subscribe('system', () => {}, { batch: { maxEvents: 0 } })).code).toBe('invalid_message');
    });
  });

  describe('metrics', () => {
    it('counts published events per type and channel and records publish latency cumulatively', async () => {
      const bus = make();
      await bus.publish(threat());
      await bus.publish(alertState('alert.acknowledged'));
      await bus.publishBatch([threat(), status('a')]);
      const m = bus.metrics();
      expect(m.published).toMatchObject({ 'threat.new': 2, 'alert.acknowledged': 1, 'status.update': 1, 'event.raw': 0 });
      expect(m.publishedByChannel).toMatchObject({ threats: 2, alerts: 1, status: 1, events: 0 });
      expect(m.publishLatency.count).toBe(3);
      expect(m.publishLatency.sumSeconds).toBeGreaterThan(0);
      const counts = m.publishLatency.buckets.map((b) => b.count);
      expect([...counts].sort((x, y) => x - y)).toEqual(counts);
      expect(counts.at(-1)).toBeLessThanOrEqual(3);
      expect(m.publishLatency.buckets.at(-1)!.le).toBe(1);
      // A snapshot is a copy.
      m.published['threat.new'] = 99;
      expect(bus.metrics().published['threat.new']).toBe(2);
    });
  });

  describe('engine failures and close', () => {
    it('rejects publishes with unavailable when the engine is down', async () => {
      const engine = new MemoryEngine();
      const bus = make({ engine });
      await engine.close();
      expect((await rejected(bus.publish(threat()))).code).toBe('unavailable');
      expect((await rejected(bus.publishBatch([threat()]))).code).toBe('unavailable');
      expect((await rejected(bus.history('threats'))).code).toBe('unavailable');
    });

    it('maps backend errors to unavailable, keeping the cause', async () => {
      const bus = make({ engine: new BrokenEngine() });
      const err = await rejected(bus.publish(threat()));
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/ECONNREFUSED/);
      expect((err.cause as Error).message).toBe('ECONNREFUSED');
      expect((await rejected(bus.heads())).code).toBe('unavailable');
      expect((await rejected(bus.history('alerts'))).code).toBe('unavailable');
    });

    it('rejects an unknown channel in history', async () => {
      const bus = make();
      expect((await rejected(bus.history('nope' as never))).code).toBe('unknown_channel');
    });

    it('after close, rejects publishes and subscriptions; closes only an engine it created', async () => {
      const own = make();
      await own.close();
      await own.close();
      expect(own.engine.state).toBe('down');
      expect((await rejected(own.publish(threat()))).code).toBe('unavailable');
      expect(thrown(() => own.subscribe('threats', () => {})).code).toBe('unavailable');
      const shared = new MemoryEngine();
      const bus = make({ engine: shared });
      await bus.close();
      expect(shared.state).toBe('ready');
      await shared.close();
    });
  });
});
