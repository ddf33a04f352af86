// Helpers for the tests that read the generated schemas/ directory with an independent validator.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseExample } from '../scripts/examples.mjs';
import type { JsonObject } from '../src/index.js';

/** The repository's `schemas/` directory. */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

/** Every `.json` file under `schemas/`, as posix paths relative to it, sorted. */
export function listSchemaDir(): string[] {
  return readdirSync(SCHEMAS_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => relative(SCHEMAS_DIR, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
    .sort();
}

/** The text of one file under `schemas/`. */
export const readSchemaText = (path: string): string => readFileSync(join(SCHEMAS_DIR, path), 'utf8');

/** One file under `schemas/` parsed (examples may hold a bare `NaN`, read as NaN). */
export const readSchemaJson = <T = JsonObject>(path: string): T => parseExample(readSchemaText(path)) as T;

// ajv-formats is CommonJS; under ESM interop its function may sit on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule);

/** One ajv (draft 2020-12, strict, every error) with ipv4/ipv6 formats, loaded with every schema file. */
export function loadValidators(files: readonly string[]): (path: string, pointer?: string) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  for (const file of files) ajv.addSchema(readSchemaJson(file));
  return (path, pointer = '') => {
    const id = `${(readSchemaJson(path) as { $id: string }).$id}${pointer}`;
    const validate = ajv.getSchema(id);
    if (validate === undefined) throw new Error(`no schema ${id}`);
    return validate;
  };
}

/**
 * The instance paths of ajv errors, in the contracts' notation (`events[3].data.source_ip`); a missing
 * or unknown field is named by its own path, as the parse helpers do.
 */
export function errorPaths(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (e.keyword === 'required') segments.push((e.params as { missingProperty: string }).missingProperty);
    if (e.keyword === 'additionalProperties') segments.push((e.params as { additionalProperty: string }).additionalProperty);
    let out = '';
    for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out === '' ? s : `.${s}`;
    return out;
  });
}

/** Wraps a publish body into the envelope the gateway would deliver for it. */
export function envelopeFor(event: Record<string, unknown>, channel: string): Record<string, unknown> {
  return { channel, id: 'evt_1', seq: 1, epoch: 'k3v9q1', ts: 1764115202.25, ...event };
}
