import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisEngine } from '../src/index.js';
import { Collector, DATA, EnginePool, pending, stateIs, uniquePrefix } from './fixtures.js';
import { hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';

// A hung Redis — stopped with SIGSTOP, not killed — keeps its TCP connections open: no error, no
// close, only silence. The engine must notice by itself (PING and command timeouts), fail what was
// waiting with an unknown outcome, and recover on SIGCONT without storing anything twice.

describe.skipIf(!hasRedisServer)('RedisEngine when Redis hangs (SIGSTOP) and resumes (SIGCONT)', () => {
  let server: TestRedisServer;
  let stopped = false;
  const pool = new EnginePool();

  const stop = () => {
    server.pause();
    stopped = true;
  };
  const resume = () => {
    server.resume();
    stopped = false;
  };
  /** Milliseconds until the engine reports `state`. */
  const msUntil = async (engine: RedisEngine, state: 'down' | 'ready', since: number) => {
    await stateIs(engine, state);
    return performance.now() - since;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    if (stopped) resume();
    await pool.closeAll();
  });

  it('reports down within 2 s of a SIGSTOP without any traffic, and ready again after SIGCONT', { timeout: 30_000 }, async () => {
    const engine = await pool.open(server.url, { prefix: uniquePrefix() });
    const states: string[] = [];
    engine.onStateChange((s) => states.push(s));
    const t0 = performance.now();
    stop();
    expect(await msUntil(engine, 'down', t0)).toBeLessThan(2000);
    // While hung, calls are refused at once: nothing is sent, so nothing is in doubt.
    const refused = await engine.append([pending('system.notice', DATA.notice(1))]).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'unavailable' });
    expect((refused as { details?: unknown }).details).toBeUndefined();
    await expect(engine.heads()).rejects.toMatchObject({ code: 'unavailable' });
    resume();
    await stateIs(engine, 'ready');
    expect(states).toEqual(['down', 'ready']);
    expect((await engine.append([pending('system.notice', DATA.notice(2))]))[0]).toMatchObject({ seq: 1, duplicate: false });
  });

  it('fails an append in flight with outcome unknown and its ids; after SIGCONT each event is stored and delivered once, and a retry with the ids is a duplicate', { timeout: 30_000 }, async () => {
    const engine = await pool.open(server.url, { prefix: uniquePrefix() });
    const seen = new Collector(engine);
    const supplied = pending('alert.new', DATA.alert(1), { id: 'alert-in-flight' });
    const minted = pending('threat.new', DATA.threat(1)); // an id the gateway assigned
    const t0 = performance.now();
    stop();
    const inFlight = engine.append([supplied, minted]).catch((e: unknown) => e);
    expect(await msUntil(engine, 'down', t0)).toBeLessThan(2000);
    const failure = await inFlight;
    expect(failure).toMatchObject({ code: 'unavailable', details: { outcome: 'unknown', ids: ['alert-in-flight', minted.id] } });
    expect((failure as Error).message).toMatch(/may or may not have been stored/);

    resume();
    await stateIs(engine, 'ready');
    // Redis ran the script it had been sent before it stopped: the events exist, once.
    await seen.count('alerts', 1);
    await seen.count('threats', 1);
    // The publisher retries with the ids it was given: answered as duplicates, not stored again.
    expect(await engine.append([supplied, { ...minted, idempotent: true }])).toEqual([
      { id: 'alert-in-flight', channel: 'alerts', seq: 1, duplicate: true },
      { id: minted.id, channel: 'threats', seq: 1, duplicate: true },
    ]);
    await engine.append([pending('threat.new', DATA.threat(2), { id: 'marker' })]);
    await seen.count('threats', 2);
    expect(seen.of('alerts').map((e) => e.id)).toEqual(['alert-in-flight']);
    expect(seen.of('threats').map((e) => e.id)).toEqual([minted.id, 'marker']);
  });
});
