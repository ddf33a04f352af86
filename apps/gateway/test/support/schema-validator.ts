import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The repository's generated JSON Schemas (docs/architecture.md#who-uses-it: what the Python processor consumes). */
export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'schemas');

/**
 * Validates a delivered event against `schemas/envelope.json` and `schemas/events/<type>.json` with
 * ajv (JSON Schema 2020-12, formats). Returns the error text, or `null` when valid.
 */
export function envelopeSchemaErrors(event: unknown): string | null {
  const type = (event as { type?: string }).type ?? '';
  for (const file of ['envelope.json', `events/${type}.json`]) {
    const validate = validatorFor(file);
    if (!validate(event)) return `${file}: ${ajv.errorsText(validate.errors)}`;
  }
  return null;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

function validatorFor(file: string): ReturnType<typeof ajv.compile> {
  let v = validators.get(file);
  if (v === undefined) {
    const path = join(SCHEMAS_DIR, file);
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run schemas\``);
    v = ajv.compile(JSON.parse(readFileSync(path, 'utf8')) as object);
    validators.set(file, v);
  }
  return v;
}
