import { NsError, type IWebSocketBroadcaster } from '@ns/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent } from './bus-event.js';
import { BusBroadcaster } from './bus-broadcaster.js';
import { EventBus } from './event-bus.js';
import { sampleEvents } from './sample-events.js';

describe('BusBroadcaster', () => {
  let bus: EventBus;
  afterEach(async () => {
    await bus.close();
  });

  it('implements the seed broadcaster on the bus: each method publishes its event type', async () => {
    bus = new EventBus();
    const broadcaster: IWebSocketBroadcaster = new BusBroadcaster(bus);
    const got: BusEvent[] = [];
    bus.subscribe('*', (e) => got.push(e));
    const results = [
      await broadcaster.broadcastThreat(sampleEvents.threat().data as never),
      await broadcaster.broadcastAlert(sampleEvents.alert().data as never, { id: 'alert_123' }),
      await broadcaster.broadcastStatus({ component: 'event_processor', status: 'healthy' }),
      await broadcaster.broadcastMetrics({ component: 'event_processor', metrics: { eps: 4 }, timestamp: 1764115200 }),
      await broadcaster.publish({ type: 'system.notice', data: { level: 'info', message: 'hi', timestamp: 1764115200 } }),
    ];
    expect(results.map((r) => r.channel)).toEqual(['threats', 'alerts', 'status', 'metrics', 'system']);
    expect(results[1]!.id).toBe('alert_123');
    expect(got.map((e) => e.type)).toEqual(['threat.new', 'alert.new', 'status.update', 'metrics.update', 'system.notice']);
    expect(await broadcaster.broadcastAlert(sampleEvents.alert().data as never, { id: 'alert_123' })).toEqual({ ...results[1], duplicate: true });
    expect(got).toHaveLength(5);
  });

  it('rejects invalid payloads with an NsError naming the field', async () => {
    bus = new EventBus();
    const broadcaster = new BusBroadcaster(bus);
    const err = await broadcaster.broadcastThreat({ ...sampleEvents.threat().data, threat_level: 'apocalyptic' } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NsError);
    expect((err as NsError).issues?.[0]?.path).toBe('data.threat_level');
  });
});
