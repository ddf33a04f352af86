import { validate, compileErrors } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_NAMES, ERROR_CODES } from './wire.js';
import { httpRoutes, openApiDocument } from './openapi.js';

describe('openApiDocument', () => {
  const doc = openApiDocument();

  it('is a valid OpenAPI 3.1 document (checked by @readme/openapi-parser)', async () => {
    // validate() dereferences its argument in place: give it a copy.
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.specification).toBe('OpenAPI');
  });

  it('catches a broken document (so the check above can fail)', async () => {
    const broken = structuredClone(doc) as { paths: Record<string, Record<string, { responses: unknown }>> };
    (broken.paths['/healthz'] as Record<string, { responses: unknown }>).get = { responses: 'nope' };
    expect((await validate(broken as never)).valid).toBe(false);
  });

  it('describes every route, with an ErrorBody for every error status it can answer', () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema?: { $ref: string } }> }> }>>;
    for (const route of httpRoutes()) {
      const op = paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      for (const status of route.errors) {
        expect(op?.responses[String(status)]?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
      }
    }
    // Every status of the error table except 500 (any route) is some route's documented answer.
    const statuses = new Set(httpRoutes().flatMap((r) => r.errors));
    for (const code of ERROR_CODE_NAMES) if (ERROR_CODES[code].http !== 500) expect(statuses.has(ERROR_CODES[code].http), code).toBe(true);
  });

  it('takes the history query parameters from the HistoryQuery contract', () => {
    const history = (doc.paths as Record<string, Record<string, { parameters: { name: string; in: string; schema: Record<string, unknown> }[] }>>)['/v1/channels/{channel}/history']?.get;
    expect(history?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:channel', 'query:since_seq', 'query:limit']);
    expect(history?.parameters.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 100 });
  });
});
