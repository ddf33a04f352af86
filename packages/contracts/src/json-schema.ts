import { z } from 'zod';

/** Base of every generated schema's `$id`: `https://netsentinel.dev/schemas/v1/<path>`. */
export const SCHEMA_BASE_URI = 'https://netsentinel.dev/schemas/v1/';

/** A JSON document (a JSON Schema, the AsyncAPI document, the channel table). */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Options of {@link toJsonSchemaParts}. */
export interface JsonSchemaOptions {
  /** `input` for what a sender may write (request bodies), `output` for what a receiver gets. */
  io: 'input' | 'output';
  /** Draft 2020-12 for the schema files; draft-07 for AsyncAPI (its Schema Object extends draft-07). */
  target: 'draft-2020-12' | 'draft-7';
}

/** A converted schema: its root, the named sub-schemas it refers to, and where those refs point. */
export interface JsonSchemaParts {
  root: JsonObject;
  /** Named sub-schemas (every schema with a `.meta({ id })`), keyed by id, sorted. */
  defs: Record<string, JsonObject>;
}

// Zod's JSON Schema `pattern` for IPv6 covers only the all-hex forms, while its validator (the WHATWG
// URL parser) also accepts IPv4-embedded ones such as `::ffff:192.0.2.1`, which dual-stack Python
// sockets report. Both must accept the same strings, so the generated schemas carry this pattern; a
// property test compares it with Zod's validator.
const H = '[0-9a-fA-F]{1,4}';
const V4 = '(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV6_HEX =
  `(?:${H}:){7}${H}|(?:${H}:){1,7}:|(?:${H}:){1,6}:${H}|(?:${H}:){1,5}(?::${H}){1,2}|(?:${H}:){1,4}(?::${H}){1,3}` +
  `|(?:${H}:){1,3}(?::${H}){1,4}|(?:${H}:){1,2}(?::${H}){1,5}|${H}:(?::${H}){1,6}|:(?:(?::${H}){1,7}|:)`;
// An embedded IPv4 takes two groups, so at most five hex groups remain when `::` stands for some.
const IPV6_V4 = [`(?:${H}:){6}${V4}`, `::(?:${H}:){0,5}${V4}`]
  .concat([1, 2, 3, 4, 5].map((n) => `(?:${H}:){${n - 1}}${H}::(?:${H}:){0,${5 - n}}${V4}`))
  .join('|');
const IPV6 = `(?:${IPV6_HEX}|${IPV6_V4})`;

/** JSON Schema pattern of an IPv6 address, matching exactly what `z.ipv6()` accepts. */
export const IPV6_PATTERN = `^${IPV6}$`;
/** JSON Schema pattern of an IPv6 CIDR block, matching exactly what `z.cidrv6()` accepts. */
export const CIDRV6_PATTERN = `^${IPV6}/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])$`;

const override: NonNullable<z.core.ToJSONSchemaParams['override']> = ({ zodSchema, jsonSchema }) => {
  const def = zodSchema._zod.def as { type: string; format?: string };
  // Zod writes a loose object's catch-all as `{}`; `true` says "extra fields allowed" plainly.
  const extra = jsonSchema.additionalProperties;
  if (def.type === 'object' && typeof extra === 'object' && Object.keys(extra).length === 0) jsonSchema.additionalProperties = true;
  if (def.type !== 'string') return;
  if (def.format === 'ipv6') jsonSchema.pattern = IPV6_PATTERN;
  if (def.format === 'cidrv6') jsonSchema.pattern = CIDRV6_PATTERN;
  // `cidrv4`/`cidrv6` are Zod's names, not JSON Schema formats (strict validators refuse unknown
  // formats); the pattern says it all.
  if (def.format === 'cidrv4' || def.format === 'cidrv6') delete jsonSchema.format;
};

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep copy of `value` with every `$ref` rewritten by `rewrite`. */
export function mapRefs<T extends JsonValue>(value: T, rewrite: (ref: string) => string): T {
  if (Array.isArray(value)) return value.map((v) => mapRefs(v, rewrite)) as T;
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' ? rewrite(v) : mapRefs(v, rewrite);
  return out as T;
}

const sortKeys = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Converts a contract with Zod 4's native `z.toJSONSchema` (never zod-to-json-schema, which emits an
 * empty schema for Zod 4) and splits the result into its root and named definitions. The root is
 * inlined even when it has an id, so a file's top level is the schema itself, not a lone `$ref`;
 * refs to the root become `#`. Refs keep Zod's form (`#/$defs/X` or `#/definitions/X`).
 */
export function toJsonSchemaParts(schema: z.ZodType, options: JsonSchemaOptions): JsonSchemaParts {
  const raw = z.toJSONSchema(schema, {
    target: options.target,
    io: options.io,
    unrepresentable: 'throw',
    override,
  }) as JsonObject;
  const defsKey = options.target === 'draft-7' ? 'definitions' : '$defs';
  const prefix = `#/${defsKey}/`;
  const { $schema: _schema, [defsKey]: rawDefs, ...top } = raw;
  const defs: Record<string, JsonObject> = isObject(rawDefs) ? { ...(rawDefs as Record<string, JsonObject>) } : {};
  let root: JsonObject = top;
  let rootId: string | undefined;
  const ref = top.$ref;
  if (Object.keys(top).length === 1 && typeof ref === 'string' && ref.startsWith(prefix)) {
    rootId = ref.slice(prefix.length);
    root = defs[rootId] ?? {};
    delete defs[rootId];
  }
  const rewrite = (r: string) => (rootId !== undefined && r === `${prefix}${rootId}` ? '#' : r);
  return {
    root: mapRefs(root, rewrite),
    defs: sortKeys(Object.fromEntries(Object.entries(defs).map(([k, v]) => [k, mapRefs(v, rewrite)]))),
  };
}

/**
 * One self-contained draft 2020-12 schema file: `$schema`, a stable `$id`
 * (`https://netsentinel.dev/schemas/v1/<path>`), the schema, and every named sub-schema bundled in
 * `$defs`, so Python's `jsonschema` and ajv can use the file as is, without a resolver.
 */
export function toJsonSchemaDocument(schema: z.ZodType, path: string, io: 'input' | 'output'): JsonObject {
  const { root, defs } = toJsonSchemaParts(schema, { io, target: 'draft-2020-12' });
  const doc: JsonObject = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${SCHEMA_BASE_URI}${path}`,
    $comment: 'Generated from @ns/contracts by `npm run schemas`; do not edit.',
    ...root,
  };
  if (Object.keys(defs).length > 0) doc.$defs = defs;
  return doc;
}

/** Serializes a generated document the one way the repository stores it: 2-space indent, final newline. */
export function serializeJson(value: JsonValue): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
