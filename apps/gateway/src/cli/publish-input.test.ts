import { describe, expect, it } from 'vitest';
import { CliError } from './exit-codes.js';
import { readEventsInput, validateEvents } from './publish-input.js';

const threat = { type: 'threat.new', data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1234567890.123 } };
const status = { type: 'status.update', data: { component: 'event_processor', status: 'healthy' } };

describe('readEventsInput', () => {
  it('reads one event, an array, a batch object and NDJSON', () => {
    expect(readEventsInput(JSON.stringify(threat))).toEqual([{ value: threat, where: 'the event' }]);
    expect(readEventsInput(JSON.stringify([threat, status])).map((v) => v.where)).toEqual(['item 1', 'item 2']);
    expect(readEventsInput(JSON.stringify({ events: [threat] })).map((v) => v.where)).toEqual(['events[0]']);
    expect(readEventsInput(`${JSON.stringify(threat)}\n\n${JSON.stringify(status)}\n`).map((v) => v.where)).toEqual(['line 1', 'line 3']);
  });

  it('names the line of invalid NDJSON', () => {
    expect(() => readEventsInput(`${JSON.stringify(threat)}\n{"type":`)).toThrow(/^line 2: not valid JSON/);
    expect(() => readEventsInput('  ')).toThrow(CliError);
  });
});

describe('validateEvents', () => {
  it('splits valid events into batches of the given size', () => {
    const values = Array.from({ length: 5 }, (_, i) => ({ value: threat, where: `line ${i + 1}` }));
    const result = validateEvents(values, 2);
    expect('batches' in result && result.batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('locates every invalid event by its source line and field', () => {
    const bad = { type: 'threat.new', data: { ...threat.data, source_ip: 'nope' } };
    const values = [threat, bad, status, { type: 'threat.gone', data: {} }].map((value, i) => ({ value, where: `line ${i + 1}` }));
    const result = validateEvents(values, 2);
    expect('issues' in result && result.issues.map((i) => `${i.where} ${i.path}`)).toEqual(['line 2 data.source_ip', 'line 4 type']);
  });
});
