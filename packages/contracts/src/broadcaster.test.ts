import { describe, expect, it } from 'vitest';
import { BROADCASTER_METHODS, broadcasterFrom } from './broadcaster.js';
import { channelForType } from './channels.js';
import type { EventType } from './events.js';
import type { PublishEventOf } from './publish.js';

function recording() {
  const sent: PublishEventOf<EventType>[] = [];
  const broadcaster = broadcasterFrom(async (event) => {
    sent.push(event);
    return { id: event.id ?? `evt_${sent.length}`, channel: channelForType(event.type), seq: sent.length };
  });
  return { sent, broadcaster };
}

const threat = { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 } as const;

describe('broadcasterFrom', () => {
  it('maps each broadcast method to its event type and resolves with the publish result', async () => {
    const { sent, broadcaster } = recording();
    await expect(broadcaster.broadcastThreat(threat)).resolves.toEqual({ id: 'evt_1', channel: 'threats', seq: 1 });
    await broadcaster.broadcastAlert({ id: 'a1', severity: 'critical', message: 'm', timestamp: 1 });
    await broadcaster.broadcastStatus({ component: 'c', status: 'healthy' });
    await broadcaster.broadcastMetrics({ component: 'c', metrics: { x: 1 }, timestamp: 1 });
    expect(sent.map((e) => e.type)).toEqual(['threat.new', 'alert.new', 'status.update', 'metrics.update']);
    expect(Object.values(BROADCASTER_METHODS)).toEqual(sent.map((e) => e.type));
  });

  it('forwards an explicit id for idempotent publishing, and omits it otherwise', async () => {
    const { sent, broadcaster } = recording();
    await expect(broadcaster.broadcastThreat(threat, { id: 'thr-9' })).resolves.toMatchObject({ id: 'thr-9' });
    await broadcaster.broadcastThreat(threat);
    expect(sent[0]).toEqual({ type: 'threat.new', data: threat, id: 'thr-9' });
    expect(sent[1]).toEqual({ type: 'threat.new', data: threat });
    expect('id' in (sent[1] ?? {})).toBe(false);
  });

  it('passes generic publishes through unchanged', async () => {
    const { sent, broadcaster } = recording();
    const event = { type: 'system.notice', id: 'n1', data: { level: 'info', message: 'hi', timestamp: 1 } } as const;
    await expect(broadcaster.publish(event)).resolves.toEqual({ id: 'n1', channel: 'system', seq: 1 });
    expect(sent).toEqual([event]);
  });

  it('propagates the publisher’s rejection', async () => {
    const broadcaster = broadcasterFrom(() => Promise.reject(new Error('engine down')));
    await expect(broadcaster.broadcastStatus({ component: 'c', status: 'healthy' })).rejects.toThrow('engine down');
  });
});
