import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import { NsError, type SchemaIndex } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';

function listJson(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json') || name.endsWith('.yaml') || name.endsWith('.yml')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

// The contracts have no `not_found` code: a deployment without the generated files is "unavailable".
const missing = () => new NsError('unavailable', 'the generated schemas are not present in this deployment; run `npm run schemas` and restart');

/** The API documents served at the top level: the WebSocket side (AsyncAPI) and the HTTP side (OpenAPI). */
const DOCUMENTS = ['asyncapi.json', 'openapi.json'] as const;

/**
 * `GET /schemas/` (index), `GET /schemas/*` (files), `GET /asyncapi.json` and `GET /openapi.json` from the generated
 * `schemas/` directory. Without it the gateway still starts; these routes then answer 503 with a hint.
 */
export async function registerSchemaRoutes(app: FastifyInstance, dir: string | null): Promise<void> {
  if (dir === null) {
    for (const path of ['/schemas/', '/schemas/*', ...DOCUMENTS.map((d) => `/${d}`)]) app.get(path, async () => Promise.reject(missing()));
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/schemas/', decorateReply: false, wildcard: true, index: false });
  app.get('/schemas', async (_req, reply) => reply.redirect('/schemas/'));
  app.get('/schemas/', async (): Promise<SchemaIndex> => ({ schemas: listJson(dir).map((f) => ({ name: f, url: `/schemas/${f}` })) }));
  for (const name of DOCUMENTS) {
    app.get(`/${name}`, async (_req, reply) => {
      const file = listJson(dir).find((f) => f === name || f.endsWith(`/${name}`));
      if (file === undefined) return reply.code(404).send(new NsError('invalid_message', `${name} is not among the generated schemas`).toBody());
      return reply.type('application/json; charset=utf-8').sendFile(file, dir);
    });
  }
}
