import type { z } from 'zod';
import { isChannelName } from './channels.js';
import { EVENT_SCHEMAS } from './envelope.js';
import type { EventEnvelope } from './envelope.js';
import { NsError, type ErrorCode, type ErrorIssue } from './errors.js';
import { inspectJson } from './json-guard.js';
import { MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES } from './limits.js';
import { CLIENT_MESSAGE_TYPES, ClientMessage } from './protocol.js';
import type { PublishEvent } from './publish.js';

/** Result of a parse helper: a typed value, or an {@link NsError} naming the field. Never throws. */
export type ParseResult<T> = { success: true; data: T } | { success: false; error: NsError; id?: string };

const ok = <T>(data: T): ParseResult<T> => ({ success: true, data });

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Renders a path as `events[3].data.source_ip`; keys that are not identifiers are quoted
 * (`data.metrics["p99.ms"]`) so the path stays unambiguous. The empty path is `(root)`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Turns a ZodError into issues whose paths start at `prefix`. An unknown field becomes one issue per
 * field, at the field's own path (`priority`, not the object holding it), so the error names it.
 */
export function issuesFromZod(error: z.ZodError, prefix: readonly PropertyKey[] = [], index?: number): ErrorIssue[] {
  const out: ErrorIssue[] = [];
  const add = (path: readonly PropertyKey[], code: string, message: string) => {
    const issue: ErrorIssue = { path: formatPath([...prefix, ...path]), code, message };
    if (index !== undefined) issue.index = index;
    out.push(issue);
  };
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) add([...i.path, key], i.code, `unknown field "${key.slice(0, 64)}"`);
    } else add(i.path, i.code, i.message);
  }
  return out;
}

const summarize = (issues: readonly ErrorIssue[]): string => {
  const first = issues[0];
  // Stryker disable next-line all: unreachable (every caller passes at least one issue); here for the types
  if (first === undefined) return 'invalid input';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
  return `${first.path}: ${first.message}${more}`;
};

const fail = <T>(code: ErrorCode, issues: ErrorIssue[], id?: string): ParseResult<T> => {
  const error = new NsError(code, summarize(issues), { issues });
  return id === undefined ? { success: false, error } : { success: false, error, id };
};

/**
 * Parses JSON text. Refuses prototype-pollution keys (`__proto__`, `constructor.prototype`: they pollute
 * prototypes once the value is merged into other objects) as `invalid_json`, and nesting deeper than
 * `MAX_JSON_DEPTH` as `invalid_message` (later `JSON.stringify` calls recurse and would overflow).
 */
export function parseJson(text: string): ParseResult<unknown> {
  let value: unknown;
  try {
    // JSON.parse itself does not recurse, and without a reviver it stores `__proto__` as a plain own
    // key, which the walk below then refuses.
    value = JSON.parse(text);
  } catch (err) {
    // Stryker disable next-line all: JSON.parse only throws SyntaxError
    const message = err instanceof Error ? err.message : 'invalid JSON';
    return fail('invalid_json', [{ path: '(root)', code: 'invalid_json', message }]);
  }
  const problem = inspectJson(value);
  if (problem !== undefined) {
    const code = problem.code === 'forbidden_key' ? 'invalid_json' : 'invalid_message';
    return fail(code, [{ path: formatPath(problem.path), code: problem.code, message: problem.message }]);
  }
  return ok(value);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one inbound WebSocket text frame (or an already-decoded value) into a {@link ClientMessage}.
 * Errors: `invalid_json`, `invalid_message`, `unknown_type`, `unknown_channel`; the request `id` is
 * returned when it could be read, so the reply can echo it.
 */
export function parseClientMessage(input: unknown): ParseResult<ClientMessage> {
  let value = input;
  if (typeof input === 'string') {
    const json = parseJson(input);
    if (!json.success) return json;
    value = json.data;
  }
  if (!isPlainObject(value)) {
    return fail('invalid_message', [{ path: '(root)', code: 'invalid_type', message: 'message must be a JSON object' }]);
  }
  const id = typeof value.id === 'string' && value.id.length <= 128 ? value.id : undefined;
  const type = value.type;
  if (typeof type !== 'string') {
    return fail('invalid_message', [{ path: 'type', code: 'invalid_type', message: 'type must be a string' }], id);
  }
  if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    const message = `unknown message type "${type.slice(0, 64)}"; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`;
    return fail('unknown_type', [{ path: 'type', code: 'unknown_type', message }], id);
  }
  if ((type === 'subscribe' || type === 'unsubscribe') && typeof value.channel === 'string' && !isChannelName(value.channel)) {
    const message = `unknown channel "${value.channel.slice(0, 64)}"`;
    return fail('unknown_channel', [{ path: 'channel', code: 'unknown_channel', message }], id);
  }
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) return fail('invalid_message', issuesFromZod(parsed.error), id);
  return ok(parsed.data);
}

declare const validPublishEvent: unique symbol;

/**
 * A publish event the contracts' parser accepted (known type, schema, JSON-safe, within the size
 * limit). `EventBus.publish`/`publishBatch` trust it as it is: no second validation.
 */
export type ValidPublishEvent<E = PublishEvent> = E & { readonly [validPublishEvent]: true };

// The brand at run time: each accepted event's serialized `data` (made by the size check), which the
// engine reuses for the envelope so `data` is serialized once. A WeakMap, so neither a spread copy nor
// an object made by hand carries it.
const acceptedData = new WeakMap<object, string>();

/** True for an event object the publish parser accepted (and returned). */
export function isValidPublishEvent<E>(event: E): event is ValidPublishEvent<E> {
  // WeakMap.has is false for a primitive, no guard needed.
  return acceptedData.has(event as object);
}

/** The JSON of an accepted event's `data`, as the parser serialized it to check its size. */
export function validDataJson(event: ValidPublishEvent<unknown>): string {
  return acceptedData.get(event as object) as string;
}

/** A validated publish request, normalised to a list. */
export interface ParsedPublish<E = PublishEvent> {
  events: ValidPublishEvent<E>[];
  /** True when the body was the `{events: [...]}` form. */
  batch: boolean;
}

// Byte length of a string's UTF-8 encoding without allocating (TextEncoder would copy).
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Whether `s` is longer than `max` bytes in UTF-8. */
function utf8Exceeds(s: string, max: number): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a string this short needs no counting.
  // Stryker disable next-line all: equivalent (a shortcut; counting gives the same answer)
  if (s.length <= max / 3) return false;
  return utf8Length(s) > max;
}

// The event-type side of publish parsing: which types exist and the schema of one publish event.
type PublishContract<E> = { isType(type: unknown): boolean; PublishEvent: z.ZodType<E> };

function checkEvent<E extends { data: unknown }>(
  contract: PublishContract<E>,
  value: unknown,
  prefix: PropertyKey[],
  index: number | undefined,
  issues: ErrorIssue[],
): ValidPublishEvent<E> | undefined {
  const push = (path: PropertyKey[], code: string, message: string) => {
    const issue: ErrorIssue = { path: formatPath([...prefix, ...path]), code, message };
    if (index !== undefined) issue.index = index;
    issues.push(issue);
  };
  if (!isPlainObject(value)) {
    push([], 'invalid_type', 'event must be an object {type, data, id?}');
    return undefined;
  }
  if (!contract.isType(value.type)) {
    push(['type'], 'unknown_type', typeof value.type === 'string' ? `unknown event type "${value.type.slice(0, 64)}"` : 'type must be a string');
    return undefined;
  }
  // Before Zod and JSON.stringify see it: `data` passes unknown fields through, so its nesting is the
  // publisher's to choose, and an in-process caller's object was not checked by any JSON parser.
  const problem = inspectJson(value.data);
  if (problem !== undefined) {
    push(['data', ...problem.path], problem.code, problem.message);
    return undefined;
  }
  const parsed = contract.PublishEvent.safeParse(value);
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, prefix, index));
    return undefined;
  }
  let size: string;
  try {
    size = JSON.stringify(parsed.data.data);
  } catch {
    // Only an in-process caller can get here (a cycle, a BigInt): JSON input always serializes.
    push(['data'], 'invalid_type', 'data must be serializable as JSON');
    return undefined;
  }
  if (utf8Exceeds(size, MAX_EVENT_DATA_BYTES)) {
    push(['data'], 'too_big', `data is larger than ${MAX_EVENT_DATA_BYTES} bytes`);
    return undefined;
  }
  acceptedData.set(parsed.data, size);
  return parsed.data as ValidPublishEvent<E>;
}

/**
 * The `POST /v1/publish` body parser of an event-type table (`eventSchemas(table)`):
 * {@link parsePublishRequest} is the one for `EVENT_TYPES`.
 */
export function publishRequestParser<E extends { data: unknown }>(contract: PublishContract<E>): (body: unknown) => ParseResult<ParsedPublish<E>> {
  return (body) => parsePublishWith(contract, body);
}

/**
 * Parses a `POST /v1/publish` body: one event or `{events: [...]}` (≤ 1000). Validates everything first;
 * any invalid event fails the whole request with per-index issues.
 */
export function parsePublishRequest(body: unknown): ParseResult<ParsedPublish> {
  return parsePublishWith(EVENT_SCHEMAS as PublishContract<PublishEvent>, body);
}

function parsePublishWith<E extends { data: unknown }>(contract: PublishContract<E>, body: unknown): ParseResult<ParsedPublish<E>> {
  if (isPlainObject(body) && 'events' in body) {
    const extra = Object.keys(body).filter((k) => k !== 'events');
    if (extra.length > 0) {
      return fail('invalid_message', [{ path: extra[0] as string, code: 'unrecognized_keys', message: `unknown field "${extra[0]}"` }]);
    }
    const list = body.events;
    if (!Array.isArray(list)) return fail('invalid_message', [{ path: 'events', code: 'invalid_type', message: 'events must be an array' }]);
    if (list.length === 0) return fail('invalid_message', [{ path: 'events', code: 'too_small', message: 'events must not be empty' }]);
    if (list.length > MAX_BATCH_EVENTS) {
      return fail('message_too_large', [
        { path: 'events', code: 'too_big', message: `a batch holds at most ${MAX_BATCH_EVENTS} events, got ${list.length}` },
      ]);
    }
    const issues: ErrorIssue[] = [];
    const events = list.map((v, i) => checkEvent(contract, v, ['events', i], i, issues));
    if (issues.length > 0) return fail(codeFor(issues), issues);
    // No issue: checkEvent returned every event.
    return ok({ events: events as ValidPublishEvent<E>[], batch: true });
  }
  const issues: ErrorIssue[] = [];
  const event = checkEvent(contract, body, [], undefined, issues);
  if (event === undefined) return fail(codeFor(issues), issues);
  return ok({ events: [event], batch: false });
}

// The size check reports at exactly `data` or `events[i].data`; a Zod `too_big` on some field below
// (a long string) is an invalid message, not an oversized one.
const DATA_PATH = /^(?:events\[\d+\]\.)?data$/;

function codeFor(issues: readonly ErrorIssue[]): ErrorCode {
  if (issues.every((i) => i.code === 'unknown_type')) return 'unknown_type';
  if (issues.some((i) => i.code === 'too_big' && DATA_PATH.test(i.path))) return 'message_too_large';
  return 'invalid_message';
}

/**
 * Parses one event as delivered (an envelope), e.g. in a client or a test. Errors: `invalid_json`,
 * `unknown_type` (a type this version does not know, so a client can skip it), `invalid_message`.
 */
export function parseEnvelope(input: unknown): ParseResult<EventEnvelope> {
  return parseEnvelopeWith(EVENT_SCHEMAS as EnvelopeContract<EventEnvelope>, input);
}

type EnvelopeContract<V> = { isType(type: unknown): boolean; EventEnvelope: z.ZodType<V> };

/** The envelope parser of an event-type table (`eventSchemas(table)`); {@link parseEnvelope} is the one for `EVENT_TYPES`. */
export function envelopeParser<V>(contract: EnvelopeContract<V>): (input: unknown) => ParseResult<V> {
  return (input) => parseEnvelopeWith(contract, input);
}

function parseEnvelopeWith<V>(contract: EnvelopeContract<V>, input: unknown): ParseResult<V> {
  let value = input;
  if (typeof input === 'string') {
    const json = parseJson(input);
    if (!json.success) return json;
    value = json.data;
  }
  if (isPlainObject(value) && typeof value.type === 'string' && !contract.isType(value.type)) {
    return fail('unknown_type', [{ path: 'type', code: 'unknown_type', message: `unknown event type "${value.type.slice(0, 64)}"` }]);
  }
  const parsed = contract.EventEnvelope.safeParse(value);
  if (!parsed.success) return fail('invalid_message', issuesFromZod(parsed.error));
  return ok(parsed.data);
}
