import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { SCHEMAS_DIR } from './schema-validator.js';

// Checks real HTTP responses against the generated `schemas/openapi.json`: the response schema the
// document declares for the route and status, or `ErrorBody` for any JSON error. Used by the route
// tests, so every response they provoke is held to the published contract.

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref: string } }> }> }>>;
  components: Record<string, unknown>;
}

let doc: OpenApi | undefined;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

function openApi(): OpenApi {
  if (doc === undefined) {
    const file = join(SCHEMAS_DIR, 'openapi.json');
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run schemas\``);
    doc = JSON.parse(readFileSync(file, 'utf8')) as OpenApi;
  }
  return doc;
}

function validator(ref: string): ReturnType<typeof ajv.compile> {
  let v = compiled.get(ref);
  if (v === undefined) {
    v = ajv.compile({ $ref: ref, components: openApi().components });
    compiled.set(ref, v);
  }
  return v;
}

const templateMatches = (template: string, path: string): boolean =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);

/**
 * Why a response breaks the OpenAPI contract, or `null` when it keeps it (or the route is not part of
 * the documented API, like the console's static files).
 */
export function responseContractViolation(method: string, url: string, status: number, contentType: string, body: string): string | null {
  const path = url.split('?', 1)[0] ?? url;
  const api = openApi();
  const template = Object.keys(api.paths).find((t) => templateMatches(t, path));
  const op = template === undefined ? undefined : api.paths[template]?.[method.toLowerCase()];
  const isJson = contentType.startsWith('application/json');
  let ref: string | undefined;
  if (op !== undefined) {
    const response = op.responses[String(status)];
    if (response === undefined) return status >= 500 && isJson ? check('#/components/schemas/ErrorBody') : `${method} ${template} does not document status ${status}`;
    ref = response.content?.['application/json']?.schema?.$ref;
    if (ref === undefined) return null;
    if (!isJson) return `${method} ${template} ${status}: expected JSON, got ${contentType}`;
  } else if (status >= 400 && isJson) {
    ref = '#/components/schemas/ErrorBody';
  } else {
    return null;
  }
  return check(ref);

  function check(schemaRef: string): string | null {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return `${method} ${path} ${status}: body is not JSON`;
    }
    const validate = validator(schemaRef);
    return validate(value) ? null : `${method} ${path} ${status} vs ${schemaRef}: ${ajv.errorsText(validate.errors)}`;
  }
}
