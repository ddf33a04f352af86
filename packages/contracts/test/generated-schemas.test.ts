import { describe, expect, it } from 'vitest';
import { exampleDocuments, serializeExample } from '../scripts/examples.mjs';
import * as contracts from '../src/index.js';
import {
  CHANNEL_NAMES,
  channelForType,
  CLIENT_MESSAGE_TYPES,
  EVENT_TYPE_NAMES,
  SCHEMA_BASE_URI,
  schemaDocuments,
  schemaFileSpecs,
  serializeJson,
  SERVER_CONTROL_MESSAGES,
  type JsonObject,
} from '../src/index.js';
import { envelopeFor, errorPaths, listSchemaDir, loadValidators, readSchemaJson, readSchemaText } from './schema-files.js';

interface InvalidCase {
  name: string;
  path: string;
  event: Record<string, unknown>;
  data: Record<string, unknown>;
}

const specs = schemaFileSpecs();
const schemaPaths = specs.map((s) => s.path);
const validator = loadValidators(schemaPaths);

/** The guard against zod-to-json-schema's silent failure: a file with nothing but `$schema`. */
function isNonTrivial(schema: JsonObject): boolean {
  const properties = schema.properties as JsonObject | undefined;
  const hasShape = (properties !== undefined && Object.keys(properties).length > 0) || Array.isArray(schema.required);
  const hasUnion = Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf);
  // The system channel's filter is deliberately the closed empty object.
  const closedEmpty = schema.type === 'object' && schema.additionalProperties === false && properties !== undefined;
  return hasShape || hasUnion || closedEmpty;
}

describe('schemas/ on disk', () => {
  it('equals a fresh generation from the contracts (run `npm run schemas` after changing them)', () => {
    const expected = new Map<string, string>();
    for (const [path, doc] of Object.entries(schemaDocuments())) expected.set(path, serializeJson(doc));
    for (const [path, doc] of Object.entries(exampleDocuments(contracts))) expected.set(path, serializeExample(doc));
    expect(listSchemaDir()).toEqual([...expected.keys()].sort());
    for (const [path, text] of expected) expect(readSchemaText(path), path).toBe(text);
  });

  it('holds a file for every event type, envelope, message, publish body and channel filter', () => {
    const files = new Set(listSchemaDir());
    const wanted = [
      ...EVENT_TYPE_NAMES.flatMap((t) => [`data/${t}.json`, `events/${t}.json`, `examples/${t}.valid.json`, `examples/${t}.invalid.json`]),
      'envelope.json',
      ...CLIENT_MESSAGE_TYPES.map((t) => `messages/client/${t}.json`),
      ...Object.keys(SERVER_CONTROL_MESSAGES).map((t) => `messages/server/${t}.json`),
      'messages/client-message.json',
      'messages/server-message.json',
      ...['publish-event', 'publish-batch', 'publish-request', 'publish-response', 'publish-result', 'error-body'].map((f) => `publish/${f}.json`),
      ...CHANNEL_NAMES.map((c) => `filters/${c}.json`),
      'channels.json',
      'asyncapi.json',
    ];
    for (const file of wanted) expect(files.has(file), file).toBe(true);
  });

  it.each(schemaPaths)('%s is a non-trivial, self-contained draft 2020-12 schema with a stable $id', (path) => {
    const schema = readSchemaJson(path);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(`${SCHEMA_BASE_URI}${path}`);
    expect(isNonTrivial(schema), JSON.stringify(schema).slice(0, 200)).toBe(true);
    const defs = (schema.$defs ?? {}) as Record<string, JsonObject>;
    for (const [name, def] of Object.entries(defs)) expect(Object.keys(def).length, `${path} $defs.${name}`).toBeGreaterThan(0);
    // Every ref stays inside the file, so Python's jsonschema needs no resolver.
    for (const ref of JSON.stringify(schema).matchAll(/"\$ref":"([^"]*)"/g)) {
      const target = ref[1] ?? '';
      expect(target === '#' || (target.startsWith('#/$defs/') && target.slice(8) in defs), `${path}: ${target}`).toBe(true);
    }
  });

  it.each(schemaPaths)('%s accepts the examples embedded in it and in its $defs (ajv)', (path) => {
    const schema = readSchemaJson(path);
    const targets: [string, JsonObject][] = [['', schema]];
    for (const [name, def] of Object.entries((schema.$defs ?? {}) as Record<string, JsonObject>)) targets.push([`#/$defs/${name}`, def]);
    for (const [pointer, target] of targets) {
      const validate = validator(path, pointer);
      for (const example of (target.examples ?? []) as unknown[]) {
        expect(validate(example), `${path}${pointer}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
  });

  it('channels.json lists every registry channel with its types, permission, delivery and history', () => {
    const doc = readSchemaJson<{ channels: { name: string; event_types: string[]; read_permission: string | null; delivery: string }[] }>(
      'channels.json',
    );
    expect(doc.channels.map((c) => c.name)).toEqual(CHANNEL_NAMES);
    for (const c of doc.channels) {
      for (const t of c.event_types) expect(channelForType(t as never)).toBe(c.name);
    }
    expect(doc.channels.flatMap((c) => c.event_types).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
  });
});

describe.each(EVENT_TYPE_NAMES)('schemas/examples for %s, checked with ajv against the generated files', (type) => {
  const valid = readSchemaJson<{ type: string; id: string; data: Record<string, unknown> }>(`examples/${type}.valid.json`);
  const cases = readSchemaJson<InvalidCase[]>(`examples/${type}.invalid.json`);
  const channel = channelForType(type);

  it('the valid example passes data/, events/, envelope, publish-event and publish-request (single and batch)', () => {
    const checks: [string, unknown][] = [
      [`data/${type}.json`, valid.data],
      [`events/${type}.json`, envelopeFor(valid, channel)],
      ['envelope.json', envelopeFor(valid, channel)],
      ['messages/server-message.json', envelopeFor(valid, channel)],
      ['publish/publish-event.json', valid],
      ['publish/publish-request.json', valid],
      ['publish/publish-request.json', { events: [valid, valid] }],
    ];
    for (const [path, value] of checks) {
      const validate = validator(path);
      expect(validate(value), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('has at least a missing-field and an unknown-top-level-field case', () => {
    expect(cases.map((c) => c.name)).toEqual(expect.arrayContaining(['missing field', 'unknown top-level field']));
  });

  it.each(cases.map((c) => [c.name, c] as const))('rejects "%s" at the expected path', (_name, c) => {
    expect(c.data).toEqual(c.event.data);
    expect(validator('publish/publish-event.json')(c.event)).toBe(false);
    expect(validator('publish/publish-request.json')({ events: [valid, c.event] })).toBe(false);
    const envelope = validator(`events/${type}.json`);
    expect(envelope(envelopeFor(c.event, channel))).toBe(false);
    expect(errorPaths(envelope.errors)).toContain(c.path);
    if (c.path.startsWith('data.')) {
      const data = validator(`data/${type}.json`);
      expect(data(c.data)).toBe(false);
      expect(errorPaths(data.errors)).toContain(c.path.slice('data.'.length));
    }
  });
});
