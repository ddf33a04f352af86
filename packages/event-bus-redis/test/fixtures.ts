import { channelForType, type ChannelName, type EventEnvelope, type EventType } from '@ns/contracts';
import { generateEventId, type Engine, type EngineState, type PendingEvent, type StoredEvent } from '@ns/event-bus';
import { RedisEngine, type RedisEngineOptions } from '../src/index.js';

const TS = 1764115200.123456;

/** Payloads valid for each event type used in the tests. */
export const DATA = {
  threat: (i: number) => ({ source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high' as const, timestamp: TS + i, n: i }),
  status: (component: string, i = 0) => ({ component, status: 'healthy' as const, n: i }),
  metrics: (component: string, i = 0) => ({ component, metrics: { cpu: i }, timestamp: TS }),
  raw: (i: number) => ({ logtype: 4002, src_host: '10.0.0.9', dst_host: '10.0.0.1', dst_port: 22, timestamp: TS, n: i }),
  notice: (i: number) => ({ level: 'info' as const, message: `notice ${i}`, timestamp: TS }),
  alert: (i: number) => ({ id: `a${i}`, severity: 'high' as const, message: 'm', timestamp: TS }),
};

/** A field of an envelope's data, for assertions. */
export function field(envelope: EventEnvelope, name: string): unknown {
  return (envelope.data as Record<string, unknown>)[name];
}

/** A pending event as the bus would hand it to the engine. */
export function pending(type: EventType, data: Record<string, unknown>, options: { id?: string; ts?: number } = {}): PendingEvent {
  return {
    id: options.id ?? generateEventId(),
    type,
    channel: channelForType(type),
    ts: options.ts ?? TS,
    data,
    idempotent: options.id !== undefined,
  };
}

export function threats(count: number, from = 0): PendingEvent[] {
  return Array.from({ length: count }, (_, i) => pending('threat.new', DATA.threat(from + i)));
}

/** Collects what an engine delivers; `until` resolves once a predicate holds (no sleeps). */
export class Collector {
  readonly events: StoredEvent[] = [];
  readonly detach: () => void;
  #checks: { test: () => boolean; resolve: () => void }[] = [];

  constructor(engine: Engine) {
    this.detach = engine.subscribe((e) => {
      this.events.push(e);
      this.#checks = this.#checks.filter((c) => (c.test() ? (c.resolve(), false) : true));
    });
  }

  of(channel: ChannelName): EventEnvelope[] {
    return this.events.filter((e) => e.envelope.channel === channel).map((e) => e.envelope);
  }

  seqs(channel: ChannelName): number[] {
    return this.of(channel).map((e) => e.seq);
  }

  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#checks.push({ test, resolve }));
  }

  /** Resolves once `channel` has delivered `count` events. */
  count(channel: ChannelName, count: number): Promise<void> {
    return this.until(() => this.of(channel).length >= count);
  }
}

/** Resolves when the engine reports `state`. */
export function stateIs(engine: Engine, state: EngineState): Promise<void> {
  if (engine.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const off = engine.onStateChange((s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

let prefixes = 0;

/** A prefix unique to one test, so tests sharing a server never see each other's keys. */
export function uniquePrefix(): string {
  return `t${process.pid}-${++prefixes}:`;
}

/** Engines opened by a test, closed in afterEach. */
export class EnginePool {
  readonly #engines: RedisEngine[] = [];

  async open(url: string, options: RedisEngineOptions = {}): Promise<RedisEngine> {
    const engine = new RedisEngine({ url, maxReconnectDelayMs: 100, ...options });
    this.#engines.push(engine);
    await engine.waitUntilReady();
    return engine;
  }

  /** Registers an engine created elsewhere for closing. */
  track(engine: RedisEngine): RedisEngine {
    this.#engines.push(engine);
    return engine;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#engines.splice(0).map((e) => e.close()));
  }
}
