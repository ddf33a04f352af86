import {
  CHANNEL_NAMES,
  CLIENT_MESSAGE_TYPES,
  ERROR_CODES,
  EVENT_TYPE_NAMES,
  NsError,
  parseClientMessage,
  parsePublishRequest,
  type ParseResult,
} from '@ns/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Property: whatever arrives at the two edges of the gateway — a WebSocket text frame, a publish body
// — the parser returns, never throws, and a failure is an NsError whose code is in ERROR_CODES.

const CODES = Object.keys(ERROR_CODES);

function expectWellFormed(result: ParseResult<unknown>): void {
  if (result.success) return;
  expect(result.error).toBeInstanceOf(NsError);
  expect(CODES).toContain(result.error.code);
  expect(typeof result.error.message).toBe('string');
  for (const issue of result.error.issues ?? []) expect(typeof issue.path).toBe('string');
  if (result.id !== undefined) expect(result.id.length).toBeLessThanOrEqual(128);
}

/** Never throws, and always yields success or a well-formed NsError. */
function total(parse: (input: unknown) => ParseResult<unknown>, input: unknown): void {
  let result: ParseResult<unknown>;
  try {
    result = parse(input);
  } catch (err) {
    throw new Error(`threw ${String(err)} for ${JSON.stringify(input)?.slice(0, 200)}`);
  }
  expectWellFormed(result);
}

const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'type', 'id', 'data', 'events');
const key = fc.oneof(nastyKey, fc.string({ maxLength: 12 }));
const nastyNumber = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, Number.MIN_VALUE, -1, 1.5);
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\ud800', '\udfff', 'x'.repeat(70_000), '𝕏'.repeat(1_000), '"}', '\\u0000'),
);
const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.integer(), nastyNumber, nastyString, fc.bigInt(), fc.constant(undefined));

/** Arbitrary values, including dangerous keys, arrays, and occasionally very deep nesting. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));
const deep = fc.tuple(fc.integer({ min: 60, max: 50_000 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
});
/** JSON-parsed values keep `__proto__` as an own key, unlike object literals. */
const withOwnProto = fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.boolean()).map(([inner, ctor]) =>
  JSON.parse(ctor ? `{"constructor":{"prototype":${JSON.stringify(inner) ?? 'null'}}}` : `{"__proto__":${JSON.stringify(inner) ?? 'null'}}`),
);
const anyValue = fc.oneof(value, deep, withOwnProto);

const channel = fc.oneof(fc.constantFrom(...CHANNEL_NAMES), nastyString);
/** Mostly well-shaped client messages with one field gone wrong, plus raw garbage text. */
const clientMessage = fc.oneof(
  fc.record(
    { type: fc.oneof(fc.constantFrom(...CLIENT_MESSAGE_TYPES), nastyString), id: fc.oneof(nastyString, anyValue), channel, filter: anyValue, since: anyValue, token: anyValue, extra: anyValue },
    { requiredKeys: ['type'] },
  ),
  anyValue,
);
const clientText = fc.oneof(
  clientMessage.map((m) => {
    try {
      return JSON.stringify(m) ?? 'null';
    } catch {
      return '{"type":"ping","n":1n}'; // BigInt: not JSON, sent as such
    }
  }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{"type":"ping"', '[[[[[[', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, '{"__proto__":{"polluted":1},"type":"ping"}', '\ufeff{"type":"ping"}'),
);

const eventShape = fc.record(
  { type: fc.oneof(fc.constantFrom(...EVENT_TYPE_NAMES), nastyString), data: anyValue, id: fc.oneof(nastyString, anyValue), channel: anyValue },
  { requiredKeys: ['type', 'data'] },
);
const validThreat = { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 };
/** A valid event whose pass-through data carries one hostile extra field: it reaches the size check. */
const validWithExtra = fc.tuple(key, anyValue).map(([k, v]) => {
  const data: Record<string, unknown> = { ...validThreat };
  Object.defineProperty(data, k, { value: v, enumerable: true, configurable: true, writable: true });
  return { type: 'threat.new', data };
});
const publishBody = fc.oneof(
  eventShape,
  validWithExtra,
  fc.record({ events: fc.array(validWithExtra, { minLength: 1, maxLength: 3 }) }),
  fc.record({ events: fc.oneof(fc.array(fc.oneof(eventShape, anyValue), { maxLength: 6 }), anyValue) }),
  fc.record({ events: fc.array(eventShape, { maxLength: 3 }), extra: anyValue }),
  anyValue,
);

// 1,500 runs each are pure CPU: seconds on an idle machine, but the text property (with its 200 KB
// nesting bombs) took 30.8 s in a whole-suite run at load 36 and 225 s beside a typecheck and a
// mutation run on the shared 2-core machine. The budget is for that, not for the parsers: their speed
// is the benchmarks' business, this test only asks that they are total.
describe('property: the edge parsers are total', { timeout: 600_000 }, () => {
  it('parseClientMessage never throws on any text, and fails only with codes from ERROR_CODES', () => {
    fc.assert(
      fc.property(clientText, (text) => total(parseClientMessage, text)),
      { numRuns: 1_500 },
    );
  });

  it('parseClientMessage never throws on any decoded value either', () => {
    fc.assert(
      fc.property(clientMessage, (m) => total(parseClientMessage, m)),
      { numRuns: 1_500 },
    );
  });

  it('parsePublishRequest never throws on any body, and fails only with codes from ERROR_CODES', () => {
    fc.assert(
      fc.property(publishBody, (body) => total(parsePublishRequest, body)),
      { numRuns: 1_500 },
    );
  });

  it('parsePublishRequest accepts every valid event, whatever extra (non-dangerous) data rides along', () => {
    const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !['__proto__', 'constructor'].includes(k)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).filter(
      // Nested pollution keys are refused by design; everything else must pass through.
      (d) => !/"(__proto__|constructor)"/.test(JSON.stringify(d)),
    );
    fc.assert(
      fc.property(extra, (more) => {
        const data = { ...more, ...validThreat };
        const result = parsePublishRequest({ type: 'threat.new', data });
        expect(result.success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves Object.prototype untouched after all of it', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });
});
