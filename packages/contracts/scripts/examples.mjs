// Source of truth for schemas/examples/: one valid publish body per event type (built from the fullest
// `.meta` example of its payload schema) and a list of invalid variants of it. Shared by the generator
// (against the built package) and the tests (against the sources), so both write the same files.

/**
 * @typedef {{ name: string, path: string, set?: unknown, remove?: true }} CaseSpec
 *   `path` is relative to the publish body (`data.source_ip`, `priority`); `set` replaces or adds the
 *   value there, `remove` deletes the field.
 */

/** @type {Record<string, CaseSpec[]>} */
export const INVALID_CASES = {
  'threat.new': [
    { name: 'wrong level', path: 'data.threat_level', set: 'severe' },
    { name: 'NaN score', path: 'data.threat_score', set: Number.NaN },
    { name: 'negative score', path: 'data.threat_score', set: -1 },
    { name: 'bad IP', path: 'data.source_ip', set: '999.10.0.1' },
    { name: 'IPv6 with a zone id (send source_ip null and the text in source)', path: 'data.source_ip', set: 'fe80::1%eth0' },
    { name: 'missing field', path: 'data.threat_score', remove: true },
    { name: 'confidence above 1', path: 'data.confidence', set: 1.5 },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115201500 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'alert.new': [
    { name: 'wrong level', path: 'data.severity', set: 'urgent' },
    { name: 'NaN timestamp', path: 'data.timestamp', set: Number.NaN },
    { name: 'bad IP', path: 'data.source_ip', set: '203.0.113' },
    { name: 'missing field', path: 'data.message', remove: true },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115230250 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'alert.acknowledged': [
    { name: 'missing field', path: 'data.by', remove: true },
    { name: 'empty alert id', path: 'data.id', set: '' },
    { name: 'NaN timestamp', path: 'data.timestamp', set: Number.NaN },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115260500 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'alert.resolved': [
    { name: 'missing field', path: 'data.by', remove: true },
    { name: 'note is not text', path: 'data.note', set: 42 },
    { name: 'NaN timestamp', path: 'data.timestamp', set: Number.NaN },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115260500 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'status.update': [
    { name: 'wrong level', path: 'data.status', set: 'broken' },
    { name: 'NaN metric', path: 'data.metrics.queue_depth', set: Number.NaN },
    { name: 'nested metric', path: 'data.metrics.queue_depth', set: { value: 3 } },
    { name: 'missing field', path: 'data.component', remove: true },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'metrics.update': [
    { name: 'NaN metric', path: 'data.metrics.p99_ms', set: Number.NaN },
    { name: 'non-numeric metric', path: 'data.metrics.p99_ms', set: 'fast' },
    { name: 'missing field', path: 'data.timestamp', remove: true },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115200200 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'event.raw': [
    { name: 'bad IP', path: 'data.src_host', set: 'attacker.example' },
    { name: 'port out of range', path: 'data.dst_port', set: 70000 },
    { name: 'fractional logtype', path: 'data.logtype', set: 4002.5 },
    { name: 'NaN port', path: 'data.src_port', set: Number.NaN },
    { name: 'missing field', path: 'data.dst_host', remove: true },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115200050 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'correlation.new': [
    { name: 'bad IP', path: 'data.source_ip', set: '203.0.113.7/32' },
    { name: 'NaN score', path: 'data.correlation_score', set: Number.NaN },
    { name: 'negative event count', path: 'data.event_count', set: -3 },
    { name: 'missing field', path: 'data.pattern', remove: true },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115290750 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'system.notice': [
    { name: 'wrong level', path: 'data.level', set: 'fatal' },
    { name: 'missing field', path: 'data.message', remove: true },
    { name: 'NaN timestamp', path: 'data.timestamp', set: Number.NaN },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115300000 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'system.presence_joined': [
    { name: 'missing field', path: 'data.user', remove: true },
    { name: 'negative connections', path: 'data.connections', set: -1 },
    { name: 'fractional connections', path: 'data.connections', set: 1.5 },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115300000 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
  'system.presence_left': [
    { name: 'missing field', path: 'data.user', remove: true },
    { name: 'negative connections', path: 'data.connections', set: -1 },
    { name: 'fractional connections', path: 'data.connections', set: 1.5 },
    { name: 'milliseconds timestamp', path: 'data.timestamp', set: 1764115300000 },
    { name: 'unknown top-level field', path: 'priority', set: 'high' },
  ],
};

/**
 * The valid publish body of one event type: `{type, id, data}` with the fullest (last) `.meta`
 * example of the type's payload schema.
 * @param {{ EVENT_TYPES: Record<string, { data: { meta(): { examples?: unknown[] } | undefined } }> }} contracts
 * @param {string} type
 * @returns {{ type: string, id: string, data: Record<string, unknown> }}
 */
export function validExample(contracts, type) {
  const examples = contracts.EVENT_TYPES[type]?.data.meta()?.examples;
  const data = examples?.[examples.length - 1];
  if (data === undefined) throw new Error(`${type}: its payload schema has no .meta examples`);
  return { type, id: `example-${type}`, data: /** @type {Record<string, unknown>} */ (structuredClone(data)) };
}

/**
 * Applies one case to a copy of the valid body.
 * @param {{ type: string, id: string, data: Record<string, unknown> }} valid
 * @param {CaseSpec} spec
 */
function applyCase(valid, spec) {
  const event = /** @type {Record<string, any>} */ (structuredClone(valid));
  const keys = spec.path.split('.');
  const last = /** @type {string} */ (keys.pop());
  let target = event;
  for (const k of keys) target = target[k];
  if (spec.remove) delete target[last];
  else target[last] = spec.set;
  return { name: spec.name, path: spec.path, event, data: event.data };
}

/**
 * Every file of `schemas/examples/`, keyed by path under `schemas/`: `<type>.valid.json` (a publish
 * body) and `<type>.invalid.json` (a list of `{name, path, event, data}`).
 * @param {{ EVENT_TYPE_NAMES: readonly string[], EVENT_TYPES: Record<string, any> }} contracts
 * @returns {Record<string, unknown>}
 */
export function exampleDocuments(contracts) {
  /** @type {Record<string, unknown>} */
  const docs = {};
  for (const type of contracts.EVENT_TYPE_NAMES) {
    const specs = INVALID_CASES[type];
    if (specs === undefined) throw new Error(`${type}: no invalid cases in scripts/examples.mjs`);
    const valid = validExample(contracts, type);
    docs[`examples/${type}.valid.json`] = valid;
    docs[`examples/${type}.invalid.json`] = specs.map((spec) => applyCase(valid, spec));
  }
  return docs;
}

const NAN = '\u0000NaN\u0000';

/**
 * Serializes like the schema files (2-space indent, final newline), but writes NaN as the bare `NaN`
 * literal, as Python's `json.dumps` does: JSON itself cannot hold NaN, and the invalid examples must.
 * @param {unknown} value
 */
export function serializeExample(value) {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? NAN : v), 2);
  return `${text.replaceAll(JSON.stringify(NAN), 'NaN')}\n`;
}

/**
 * Parses an example file, reading a bare `NaN` (outside strings) as NaN, like Python's `json.loads`.
 * @param {string} text
 * @returns {unknown}
 */
export function parseExample(text) {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (text.startsWith('NaN', i)) {
      out += JSON.stringify(NAN);
      i += 2;
    } else out += ch;
  }
  return JSON.parse(out, (_k, v) => (v === NAN ? Number.NaN : v));
}
