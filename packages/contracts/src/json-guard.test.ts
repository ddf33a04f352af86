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

  it('says how deep is allowed in the message', () => {
    expect(inspectJson(JSON.parse(nestedArrays(MAX_JSON_DEPTH + 1)))).toEqual({
      code: 'too_deep',
      path: Array<number>(MAX_JSON_DEPTH).fill(0),
      message: `nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays`,
    });
    expect(inspectJson([[[]]], 2)?.message).toBe('nested deeper than 2 levels of objects and arrays');
  });

  it('does not count scalars (null included) as a level, in arrays or objects at the deepest allowed level', () => {
    const scalars = '1,"s",null,true,false';
    expect(inspectJson(JSON.parse(`${'['.repeat(MAX_JSON_DEPTH)}${scalars}${']'.repeat(MAX_JSON_DEPTH)}`))).toBeUndefined();
    const members = '"n":1,"s":"s","z":null,"t":true';
    expect(inspectJson(JSON.parse(`${'{"a":'.repeat(MAX_JSON_DEPTH - 1)}{${members}}${'}'.repeat(MAX_JSON_DEPTH - 1)}`))).toBeUndefined();
    expect(inspectJson({ a: [null, 0, ''], b: null })).toBeUndefined();
  });

  it('looks only at own enumerable properties, the ones JSON.stringify serializes', () => {
    const tooDeep = JSON.parse(nestedArrays(MAX_JSON_DEPTH + 1));
    // Inherited under the key 'undefined': what reading one index past the end of the key list would find.
    const inherits = Object.create({ undefined: tooDeep, x: tooDeep }) as object;
    expect(inspectJson(inherits)).toBeUndefined();
    expect(JSON.stringify(inherits)).toBe('{}');
    const hidden = Object.defineProperty({}, 'x', { value: tooDeep, enumerable: false });
    expect(inspectJson(hidden)).toBeUndefined();
    expect(inspectJson({ own: tooDeep })?.code).toBe('too_deep');
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

// Mutants left alive (Stryker, issue 22), none observable:
// - pathOf: `n?.key` → `n.key`. Every chain of nodes ends at the root, whose key is undefined, so the
//   loop stops there and `n` itself is never undefined when the condition is read.
// - the array loop starting at `list.length + 1` instead of `list.length - 1`: an array has no own
//   element at or past its length, so the two extra reads give undefined, which is not a container.
//   (The same off-by-one on the key list is caught: reading `record[undefined]` finds an inherited
//   property named 'undefined', pinned by the own-properties test.)
