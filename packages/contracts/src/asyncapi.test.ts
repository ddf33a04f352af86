import specs from '@asyncapi/specs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from './asyncapi.js';
import { CHANNEL_NAMES, typesForChannel } from './channels.js';
import { CLOSE_CODES, ERROR_CODE_NAMES } from './errors.js';
import { EVENT_TYPE_NAMES } from './events.js';
import type { JsonObject } from './json-schema.js';
import { CLIENT_MESSAGE_TYPES, SERVER_CONTROL_MESSAGES } from './protocol.js';

const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

// The official AsyncAPI 3.0.0 JSON Schema bundles its own copy of the draft-07 meta-schema, so ajv
// must not add its built-in one too (`meta: false`).
function officialValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false });
  addFormats(ajv);
  return ajv.compile(specs.schemas['3.0.0']);
}

const doc = asyncApiDocument();
const at = (pointer: string): unknown =>
  pointer
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);

describe('asyncApiDocument', () => {
  it('is a valid AsyncAPI 3.0 document by the official schema', () => {
    const validate = officialValidator();
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it('fails the official schema when broken (the check above is not vacuous)', () => {
    const validate = officialValidator();
    const broken = structuredClone(doc) as JsonObject & { operations: Record<string, JsonObject> };
    broken.operations.subscribe = { ...broken.operations.subscribe, action: 'listen' };
    expect(validate(broken)).toBe(false);
  });

  it('resolves every $ref inside the document', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) expect(at(ref), ref).toBeDefined();
  });

  it('has one channel per registry channel carrying exactly its event types, and a delivery operation', () => {
    const channels = doc.channels as Record<string, { messages: JsonObject; address: string }>;
    for (const name of CHANNEL_NAMES) {
      expect(channels[name]?.address).toBe('/ws');
      expect(Object.keys(channels[name]?.messages ?? {})).toEqual(typesForChannel(name));
    }
    const messages = doc.components as { messages: JsonObject };
    for (const type of EVENT_TYPE_NAMES) expect(messages.messages[type], type).toBeDefined();
    const operations = doc.operations as Record<string, { action: string }>;
    expect(operations.deliverThreats?.action).toBe('send');
  });

  it('describes subscribe, unsubscribe, auth and ping as request/reply operations with every control message', () => {
    const operations = doc.operations as Record<string, { action: string; reply?: { messages: JsonObject[] } }>;
    for (const op of ['subscribe', 'unsubscribe', 'auth', 'ping']) {
      expect(operations[op]?.action, op).toBe('receive');
      expect(operations[op]?.reply?.messages.length, op).toBeGreaterThan(0);
    }
    const control = (doc.channels as Record<string, { messages: JsonObject }>).connection?.messages ?? {};
    expect(Object.keys(control).sort()).toEqual([...CLIENT_MESSAGE_TYPES, ...Object.keys(SERVER_CONTROL_MESSAGES)].sort());
  });

  it('describes the HTTP publish operation and every filter schema', () => {
    const operations = doc.operations as Record<string, { bindings?: { http?: { method: string } } }>;
    expect(operations.publish?.bindings?.http?.method).toBe('POST');
    expect((doc.channels as Record<string, { address: string }>).publish?.address).toBe('/v1/publish');
    const schemas = (doc.components as { schemas: JsonObject }).schemas;
    for (const id of ['ThreatsFilter', 'AlertsFilter', 'ComponentsFilter', 'EventsFilter', 'CorrelationsFilter', 'SystemFilter']) {
      expect(schemas[id], id).toBeDefined();
    }
  });

  it('has message examples that validate against their payload schemas (draft-07, ajv)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'urn:ns:asyncapi', components: doc.components }, 'urn:ns:asyncapi');
    const messages = (doc.components as { messages: Record<string, { payload: { $ref: string }; examples?: { payload: unknown }[] }> }).messages;
    let checked = 0;
    for (const [name, message] of Object.entries(messages)) {
      const validate = ajv.getSchema(`urn:ns:asyncapi${message.payload.$ref}`);
      expect(validate, name).toBeDefined();
      for (const example of message.examples ?? []) {
        expect(validate?.(example.payload), `${name}: ${JSON.stringify(validate?.errors)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(Object.keys(messages).length);
  });

  it('lists every error code and close code', () => {
    expect(Object.keys(doc['x-ns-error-codes'] as JsonObject)).toEqual(ERROR_CODE_NAMES);
    expect(Object.keys(doc['x-ns-close-codes'] as JsonObject)).toEqual(Object.values(CLOSE_CODES).map(String));
    const description = (doc.info as { description: string }).description;
    for (const code of ERROR_CODE_NAMES) expect(description).toContain(`\`${code}\``);
    for (const code of Object.values(CLOSE_CODES)) expect(description).toContain(`| ${code} |`);
  });
});
