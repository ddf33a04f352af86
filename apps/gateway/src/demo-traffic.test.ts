import { parsePublishRequest } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { DemoTraffic } from './demo-traffic.js';

describe('DemoTraffic', () => {
  const run = (seconds: number, seed = 7) => {
    const traffic = new DemoTraffic(seed);
    const events = [];
    for (let t = 0; t <= seconds; t += 0.25) events.push(...traffic.tick(1_764_115_200 + t));
    return events;
  };

  it('emits only events the publish API accepts', () => {
    const events = run(120);
    for (let i = 0; i < events.length; i += 1000) {
      const parsed = parsePublishRequest({ events: events.slice(i, i + 1000) });
      expect(parsed.success ? 'valid' : parsed.error.message).toBe('valid');
    }
  });

  it('covers brute force, port scans, alerts with their lifecycle, status and metrics within two minutes', () => {
    const types = new Set(run(120).map((e) => e.type));
    for (const t of ['system.notice', 'event.raw', 'threat.new', 'correlation.new', 'alert.new', 'alert.acknowledged', 'alert.resolved', 'status.update', 'metrics.update']) {
      expect(types).toContain(t);
    }
    const threats = run(120).filter((e) => e.type === 'threat.new');
    expect(new Set(threats.map((e) => (e.data as { threat_level: string }).threat_level))).toContain('critical');
  });

  it('is reproducible for a seed', () => {
    expect(run(30, 3)).toEqual(run(30, 3));
  });
});
