// Classifies the difference between two generations of schemas/ (the last released baseline and a
// fresh `npm run schemas`) into breaking and compatible changes, judged from a consumer's side:
//
// - inputs (what publishers and clients send; the gateway validates them): narrowing what is accepted
//   breaks senders — a removed property, a new required property, a narrowed type, enum or range;
// - outputs (what the gateway sends): taking away what receivers rely on breaks them — a removed
//   property, a property no longer required, a changed or widened type (e.g. a string that may now be
//   null), a narrowed enum or a widened range;
// - documents: a removed schema file, AsyncAPI channel, message or operation, OpenAPI path or
//   operation breaks whoever used it.
//
// No JSON Schema diff library judges input/output direction (AsyncAPI's diff library only reads
// AsyncAPI 2 documents through its own parser), so the rules are written out here, each with a test.

/** @typedef {{ kind: 'breaking' | 'compatible', path: string, message: string }} Change */
/** @typedef {'input' | 'output'} Io */

const INPUT_PREFIXES = ['data/', 'filters/', 'messages/client', 'publish/publish-event', 'publish/publish-batch', 'publish/publish-request', 'http/history-query'];

/** Which side a generated file describes, from its path under schemas/. */
export function ioOf(file) {
  return INPUT_PREFIXES.some((p) => file.startsWith(p)) ? 'input' : 'output';
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON types a schema allows, or null when it does not say (`$ref`, combinators). */
function typesOf(s) {
  if (!isObject(s)) return null;
  if (typeof s.type === 'string') return [s.type === 'integer' ? 'integer' : s.type];
  if (Array.isArray(s.type)) return [...s.type];
  if (Array.isArray(s.anyOf) && s.anyOf.every((b) => isObject(b) && typeof b.type === 'string' && Object.keys(b).length === 1)) {
    return s.anyOf.map((b) => b.type);
  }
  return null;
}

// `integer` is a subset of `number`: widening integer → number, narrowing number → integer.
const covers = (types, t) => types.includes(t) || (t === 'integer' && types.includes('number'));

const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];

/**
 * Compares two JSON Schemas of one side (`io`) and appends every change to `out`, each with the path
 * of the keyword that changed (e.g. `data/threat.new.json#/properties/source_ip`).
 * @param {unknown} a baseline
 * @param {unknown} b current
 * @param {Io} io
 * @param {string} path
 * @param {Change[]} out
 */
export function diffSchema(a, b, io, path, out) {
  if (!isObject(a) || !isObject(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ kind: 'breaking', path, message: 'schema changed shape' });
    return;
  }
  const breaking = (message, at = path) => out.push({ kind: 'breaking', path: at, message });
  const compatible = (message, at = path) => out.push({ kind: 'compatible', path: at, message });
  const input = io === 'input';

  if (a.$ref !== b.$ref) breaking(`$ref changed from ${a.$ref ?? '(none)'} to ${b.$ref ?? '(none)'}`);

  // Types.
  const ta = typesOf(a);
  const tb = typesOf(b);
  if (ta !== null && tb !== null) {
    const removed = ta.filter((t) => !covers(tb, t));
    const added = tb.filter((t) => !covers(ta, t));
    if (removed.length > 0 && added.length > 0) breaking(`type changed from ${ta.join('|')} to ${tb.join('|')}`);
    else if (removed.length > 0) (input ? breaking : compatible)(`type narrowed: ${removed.join(', ')} no longer allowed`);
    else if (added.length > 0) (input ? compatible : breaking)(`type widened: ${added.join(', ')} now possible`);
  }
  if (a.anyOf && b.anyOf && ta === null) diffBranches(a.anyOf, b.anyOf, io, `${path}/anyOf`, out);
  if (a.oneOf && b.oneOf) diffBranches(a.oneOf, b.oneOf, io, `${path}/oneOf`, out);

  // Enums and constants.
  if (Array.isArray(a.enum) && Array.isArray(b.enum)) {
    const gone = a.enum.filter((v) => !b.enum.some((w) => JSON.stringify(w) === JSON.stringify(v)));
    const added = b.enum.filter((v) => !a.enum.some((w) => JSON.stringify(w) === JSON.stringify(v)));
    if (gone.length > 0) breaking(`enum narrowed: ${gone.map((v) => JSON.stringify(v)).join(', ')} removed`, `${path}/enum`);
    if (added.length > 0) compatible(`enum widened: ${added.map((v) => JSON.stringify(v)).join(', ')} added`, `${path}/enum`);
  } else if (Array.isArray(a.enum) !== Array.isArray(b.enum)) {
    (Array.isArray(b.enum) ? (input ? breaking : compatible) : input ? compatible : breaking)('enum added or removed', `${path}/enum`);
  }
  if ('const' in a || 'const' in b) {
    if (JSON.stringify(a.const) !== JSON.stringify(b.const)) {
      if ('const' in a && 'const' in b) breaking(`const changed from ${JSON.stringify(a.const)} to ${JSON.stringify(b.const)}`, `${path}/const`);
      else ('const' in b ? (input ? breaking : compatible) : input ? compatible : breaking)('const added or removed', `${path}/const`);
    }
  }
  if (a.pattern !== b.pattern && a.pattern !== undefined) breaking('pattern changed', `${path}/pattern`);
  else if (b.pattern !== undefined && a.pattern === undefined) (input ? breaking : compatible)('pattern added', `${path}/pattern`);
  if (a.format !== b.format && a.format !== undefined && b.format !== undefined) breaking(`format changed from ${a.format} to ${b.format}`, `${path}/format`);

  // Ranges: a narrower input range refuses what was valid; a wider output range sends what was not.
  for (const k of LOWER) {
    if (a[k] === b[k]) continue;
    const narrower = b[k] !== undefined && (a[k] === undefined || b[k] > a[k]);
    (narrower === input ? breaking : compatible)(`${k} ${a[k] ?? '(none)'} → ${b[k] ?? '(none)'}`, `${path}/${k}`);
  }
  for (const k of UPPER) {
    if (a[k] === b[k]) continue;
    const narrower = b[k] !== undefined && (a[k] === undefined || b[k] < a[k]);
    (narrower === input ? breaking : compatible)(`${k} ${a[k] ?? '(none)'} → ${b[k] ?? '(none)'}`, `${path}/${k}`);
  }

  // Object properties.
  const pa = isObject(a.properties) ? a.properties : {};
  const pb = isObject(b.properties) ? b.properties : {};
  const ra = new Set(Array.isArray(a.required) ? a.required : []);
  const rb = new Set(Array.isArray(b.required) ? b.required : []);
  const closedA = a.additionalProperties === false;
  for (const name of Object.keys(pa)) {
    const at = `${path}/properties/${name}`;
    if (!(name in pb)) {
      // A sender's field the gateway no longer accepts, or a field receivers no longer get.
      if (input && !closedA) compatible('property removed (still accepted as an extra field)', at);
      else breaking('property removed or renamed', at);
      continue;
    }
    diffSchema(pa[name], pb[name], io, at, out);
    if (ra.has(name) && !rb.has(name)) (input ? compatible : breaking)('property no longer required', at);
  }
  for (const name of Object.keys(pb)) {
    const at = `${path}/properties/${name}`;
    if (!(name in pa)) {
      if (rb.has(name)) (input ? breaking : compatible)('new required property', at);
      else compatible('new optional property', at);
    } else if (!ra.has(name) && rb.has(name)) (input ? breaking : compatible)('property became required', at);
  }
  if (a.additionalProperties !== false && b.additionalProperties === false && input) breaking('extra properties no longer accepted', `${path}/additionalProperties`);
  if (a.items !== undefined && b.items !== undefined) diffSchema(a.items, b.items, io, `${path}/items`, out);
  for (const key of ['$defs', 'definitions']) {
    const da = isObject(a[key]) ? a[key] : {};
    const db = isObject(b[key]) ? b[key] : {};
    for (const name of Object.keys(da)) if (name in db) diffSchema(da[name], db[name], io, `${path}/${key}/${name}`, out);
  }
  if (a.if !== undefined || b.if !== undefined) {
    if (JSON.stringify([a.if, a.then, a.else]) !== JSON.stringify([b.if, b.then, b.else])) breaking('conditional rule (if/then/else) changed', `${path}/if`);
  }
}

// Union branches are matched by their discriminating `type`/`channel` const when they have one, else
// by position; a branch that disappears takes a message or an event type away.
function diffBranches(a, b, io, path, out) {
  const keyOf = (s, i) => {
    const p = isObject(s) && isObject(s.properties) ? s.properties : {};
    const consts = ['type', 'channel'].filter((k) => isObject(p[k]) && 'const' in p[k]).map((k) => `${k}=${p[k].const}`);
    if (consts.length > 0) return consts.join(',');
    if (isObject(s) && typeof s.$ref === 'string') return s.$ref;
    return `#${i}`;
  };
  const mb = new Map(b.map((s, i) => [keyOf(s, i), s]));
  const ma = new Map(a.map((s, i) => [keyOf(s, i), s]));
  a.forEach((s, i) => {
    const k = keyOf(s, i);
    if (!mb.has(k)) out.push({ kind: 'breaking', path: `${path}[${k}]`, message: 'union branch removed (a message or event type is gone)' });
    else diffSchema(s, mb.get(k), io, `${path}[${k}]`, out);
  });
  b.forEach((s, i) => {
    const k = keyOf(s, i);
    if (!ma.has(k)) out.push({ kind: 'compatible', path: `${path}[${k}]`, message: 'union branch added' });
  });
}

/** Keys of `a[key]` missing from `b[key]`, reported as removed `what`. */
function removedKeys(a, b, key, what, file, out) {
  const ka = isObject(a?.[key]) ? Object.keys(a[key]) : [];
  const kb = new Set(isObject(b?.[key]) ? Object.keys(b[key]) : []);
  for (const k of ka) if (!kb.has(k)) out.push({ kind: 'breaking', path: `${file}#/${key.replace(/\./g, '/')}/${k}`, message: `${what} removed` });
  for (const k of kb) if (!ka.includes(k)) out.push({ kind: 'compatible', path: `${file}#/${key}/${k}`, message: `${what} added` });
}

/**
 * Compares two generations of schemas/ given as `{path: document}` maps. AsyncAPI and OpenAPI
 * documents are compared by what they expose (channels, messages, operations, paths); their schemas
 * are the same contracts as the JSON Schema files, which are compared rule by rule.
 * @param {Record<string, any>} baseline
 * @param {Record<string, any>} current
 * @returns {Change[]}
 */
export function diffSchemaSets(baseline, current) {
  /** @type {Change[]} */
  const out = [];
  for (const [file, a] of Object.entries(baseline)) {
    if (file.startsWith('examples/')) continue;
    const b = current[file];
    if (b === undefined) {
      out.push({ kind: 'breaking', path: file, message: 'schema file removed (a message, event type, channel or document is gone)' });
      continue;
    }
    if (file === 'asyncapi.json') {
      removedKeys(a, b, 'channels', 'AsyncAPI channel', file, out);
      removedKeys(a, b, 'operations', 'AsyncAPI operation', file, out);
      removedKeys(a.components, b.components, 'messages', 'AsyncAPI message', file, out);
      for (const name of Object.keys(a.channels ?? {})) {
        if (b.channels?.[name] !== undefined) removedKeys(a.channels[name], b.channels[name], 'messages', `message of channel ${name}`, `${file}#/channels/${name}`, out);
      }
    } else if (file === 'openapi.json') {
      removedKeys(a, b, 'paths', 'OpenAPI path', file, out);
      for (const p of Object.keys(a.paths ?? {})) {
        for (const m of Object.keys(a.paths[p] ?? {})) {
          if (b.paths?.[p] !== undefined && b.paths[p][m] === undefined) out.push({ kind: 'breaking', path: `${file}#/paths/${p}/${m}`, message: 'OpenAPI operation removed' });
        }
      }
    } else if (file === 'channels.json') {
      const names = (d) => new Map((d.channels ?? []).map((c) => [c.name, c]));
      const na = names(a);
      const nb = names(b);
      for (const [name, c] of na) {
        if (!nb.has(name)) out.push({ kind: 'breaking', path: `${file}#/channels/${name}`, message: 'channel removed' });
        else for (const t of c.event_types ?? []) if (!nb.get(name).event_types?.includes(t)) out.push({ kind: 'breaking', path: `${file}#/channels/${name}/event_types/${t}`, message: 'event type removed from channel' });
      }
      for (const name of nb.keys()) if (!na.has(name)) out.push({ kind: 'compatible', path: `${file}#/channels/${name}`, message: 'channel added' });
    } else if (file === 'wire.json') {
      continue;
    } else {
      diffSchema(a, b, ioOf(file), `${file}#`, out);
    }
  }
  for (const file of Object.keys(current)) {
    if (!file.startsWith('examples/') && baseline[file] === undefined) out.push({ kind: 'compatible', path: file, message: 'schema file added' });
  }
  return out;
}

/**
 * The bump recorded for `pkg` by pending changesets (`.changeset/*.md` front matter), the highest of
 * them, or null.
 * @param {Record<string, string>} changesetFiles file name → text
 * @param {string} pkg
 */
export function pendingBump(changesetFiles, pkg) {
  const order = ['patch', 'minor', 'major'];
  let best = null;
  for (const [name, text] of Object.entries(changesetFiles)) {
    if (!name.endsWith('.md') || name === 'README.md') continue;
    const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    for (const line of front.split('\n')) {
      const m = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
      if (m && m[1] === pkg && (best === null || order.indexOf(m[2]) > order.indexOf(best))) best = m[2];
    }
  }
  return best;
}
