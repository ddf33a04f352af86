import { describe, expect, it } from 'vitest';
import { envelopePieces, peekPosition, spliceEnvelope } from './envelope-json.js';

const event = {
  id: 'evt_1',
  type: 'threat.new' as const,
  channel: 'threats' as const,
  ts: 1764115200.123456,
  data: { source_ip: '10.0.0.1', note: 'a "quoted",\n"seq":9 line', indicators: [] },
  idempotent: false,
};

describe('envelope JSON pieces', () => {
  it('splices seq and epoch into the same JSON JSON.stringify gives for the envelope', () => {
    const json = spliceEnvelope(envelopePieces(event), 42, 'k3v9q1');
    const { idempotent: _, ...rest } = event;
    expect(json).toBe(JSON.stringify({ type: rest.type, channel: rest.channel, id: rest.id, seq: 42, epoch: 'k3v9q1', ts: rest.ts, data: rest.data }));
  });

  it('reads seq and epoch back without being fooled by data', () => {
    const json = spliceEnvelope(envelopePieces(event), 42, 'k3v9q1');
    expect(peekPosition(json)).toEqual({ seq: 42, epoch: 'k3v9q1' });
  });

  it('answers undefined for text that is not a spliced envelope', () => {
    expect(peekPosition('garbage')).toBeUndefined();
    expect(peekPosition('{"seq":1}')).toBeUndefined();
    expect(peekPosition('{"type":"x","seq":1}')).toBeUndefined();
    expect(peekPosition('{"type":"x","seq":0,"epoch":"e"}')).toBeUndefined();
    expect(peekPosition('{"type":"x","seq":1,"epoch":"e')).toBeUndefined();
  });
});
