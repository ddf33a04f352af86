import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../http-errors.js';
import { PUBLIC_DIR } from '../paths.js';
import { findWsClientBundle } from '../ws-client-bundle.js';
import { registerConsole } from './console.js';

const apps: FastifyInstance[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function consoleApp(wsClientFile: string | null): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  apps.push(app);
  registerErrorHandling(app);
  await registerConsole(app, PUBLIC_DIR, wsClientFile);
  return app;
}

describe('console route', () => {
  it('finds the built @ns/ws-client bundle through the package the gateway depends on', () => {
    expect(findWsClientBundle()).toMatch(/ws-client[/\\]dist[/\\]index\.js$/);
  });

  it('serves the bundle as /console/ws-client.js with its source map renamed alongside', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-console-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'index.js'), 'export function createClient() {}\n//# sourceMappingURL=index.js.map\n');
    writeFileSync(join(dir, 'index.js.map'), '{"version":3,"sources":["../src/client.ts"],"mappings":""}');
    const app = await consoleApp(join(dir, 'index.js'));

    const js = await app.inject({ url: '/console/ws-client.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('export function createClient() {}\n//# sourceMappingURL=ws-client.js.map\n');
    const map = await app.inject({ url: '/console/ws-client.js.map' });
    expect(map.json()).toMatchObject({ sources: ['../src/client.ts'] });
  });

  it('answers 503 with a hint when @ns/ws-client is not built, and still serves the page', async () => {
    const app = await consoleApp(null);
    const js = await app.inject({ url: '/console/ws-client.js' });
    expect(js.statusCode).toBe(503);
    expect(js.json().error.message).toContain('npm run build');
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });
});
