import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@ns/contracts';
import { formatEvent } from './tail-format.js';

const envelope = (data: Record<string, unknown>): EventEnvelope =>
  ({ type: 'threat.new', channel: 'threats', id: 'evt_1', epoch: 'e1', seq: 7, ts: 1764115200.5, data }) as EventEnvelope;

describe('ns-gateway tail formatting', () => {
  it('shows a threat by its source address', () => {
    const line = formatEvent(envelope({ source_ip: '203.0.113.7', threat_score: 8.5, threat_level: 'high', timestamp: 1, event_type: 'ssh_login' }), false);
    expect(line).toBe('00:00:00.500 threats#7        threat.new         HIGH      203.0.113.7 score 8.5 · ssh_login');
  });

  it('shows a threat without an address (source_ip null) by what the sensor reported', () => {
    const line = formatEvent(envelope({ source_ip: null, source: 'unknown', threat_score: 6.2, threat_level: 'medium', timestamp: 1 }), false);
    expect(line).toBe('00:00:00.500 threats#7        threat.new         MEDIUM    unknown (no IP) score 6.2');
    const zoned = formatEvent(envelope({ source_ip: null, source: 'fe80::1%eth0', threat_score: 6.2, threat_level: 'medium', timestamp: 1 }), false);
    expect(zoned).toContain('fe80::1%eth0 (no IP) score 6.2');
  });
});
