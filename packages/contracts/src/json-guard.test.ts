import { describe, expect, it } from 'vitest';
import { inspectJson } from './json-guard.js';
import { MAX_JSON_DEPTH } from './limits.js';
import { parseClientMessage, parseJson, parsePublishRequest } from './parse.js';

const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const threat = { source_ip: '10.0.0.1', threat_score: 1, threat_level: 'low', timestamp: 1 };

describe('inspectJson', () => {
  it('accepts nesting up to the limit and names the first container beyond it', () => {
    expect(inspectJson(JSON.parse(nestedArrays(MAX_JSON_DEPTH)))).toBeUndefined();
    const problem = inspectJson({ a: JSON.parse(nestedArrays(MAX_JSON_DEPTH)) });
    expect(problem).toMatchObject({ code: 'too_deep' });
    expect(problem?.path).toEqual(['a', ...Array<number>(MAX_JSON_DEPTH - 1).fill(0)]);
  });

  it('survives nesting far beyond what a recursive walk could (no stack overflow)', () => {
    expect(inspectJson(JSON.parse(nestedArrays(500_000)))?.code).toBe('too_deep');
  });

  it('finds __proto__ and constructor.prototype keys at any depth, by path', () => {
    expect(inspectJson(JSON.parse('{"a":[{"__proto__":{"x":1}}]}'))).toMatchObject({ code: 'forbidden_key', path: ['a', 0, '__proto__'] });
    expect(inspectJson(JSON.parse('{"constructor":{"prototype":{}}}'))).toMatchObject({ code: 'forbidden_key', path: ['constructor'] });
    expect(inspectJson({ constructor: 'x', data: { constructor_id: 1 } })).toBeUndefined();
  });

  it('terminates on cyclic and shared in-process values', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(inspectJson(a)).toBeUndefined();
    let shared: unknown[] = [];
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    expect(inspectJson(shared)).toBeUndefined();
  });
});

describe('parsers on hostile nesting', () => {
  it('answer invalid_message naming the path instead of overflowing the stack', () => {
    const text = `{"type":"subscribe","channel":"status","filter":{"components":${nestedArrays(100_000)}}}`;
    expect(parseJson(text)).toMatchObject({ success: false, error: { code: 'invalid_message' } });
    expect(parseClientMessage(`{"type":"ping","constructor":${nestedArrays(100_000)}}`)).toMatchObject({ success: false, error: { code: 'invalid_message' } });
    const deep = parsePublishRequest({ type: 'threat.new', data: { ...threat, x: JSON.parse(nestedArrays(100_000)) } });
    expect(deep).toMatchObject({ success: false, error: { code: 'invalid_message', issues: [{ code: 'too_deep' }] } });
    expect(deep.success ? '' : deep.error.issues?.[0]?.path).toMatch(/^data\.x\[0\]/);
  });

  it('refuses pollution keys in event data given as a value, not only as text', () => {
    const data = JSON.parse(`{"source_ip":"10.0.0.1","threat_score":1,"threat_level":"low","timestamp":1,"__proto__":{"polluted":1}}`);
    expect(parsePublishRequest({ events: [{ type: 'threat.new', data }] })).toMatchObject({
      success: false,
      error: { code: 'invalid_message', issues: [{ index: 0, path: 'events[0].data.__proto__', code: 'forbidden_key' }] },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports in-process data that cannot be serialized instead of throwing', () => {
    const data: Record<string, unknown> = { ...threat };
    data.self = data;
    expect(parsePublishRequest({ type: 'threat.new', data })).toMatchObject({ success: false, error: { issues: [{ path: 'data', code: 'invalid_type' }] } });
    expect(parsePublishRequest({ type: 'threat.new', data: { ...threat, n: 10n } }).success).toBe(false);
  });
});
