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

async function consoleApp(wsClientFile: string | null, bundleDir?: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  apps.push(app);
  registerErrorHandling(app);
  await registerConsole(app, PUBLIC_DIR, wsClientFile, bundleDir);
  return app;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-console-'));
  dirs.push(dir);
  return dir;
}

describe('console route', () => {
  it('finds the built @ns/ws-client bundle through the package the gateway depends on', () => {
    expect(findWsClientBundle()).toMatch(/ws-client[/\\]dist[/\\]index\.js$/);
  });

  it('serves the bundle as /console/ws-client.js with its source map renamed alongside', async () => {
    const dir = tempDir();
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

  it('serves the console bundle (app.js, app.css, their maps) from its build directory, with content types', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.js'), 'console.info(1);\n//# sourceMappingURL=app.js.map\n');
    writeFileSync(join(dir, 'app.js.map'), '{"version":3,"sources":["../../console/src/main.ts"],"mappings":""}');
    writeFileSync(join(dir, 'app.css'), 'body{margin:0}\n');
    const app = await consoleApp(null, dir);
    const js = await app.inject({ url: '/console/app.js' });
    expect([js.statusCode, js.headers['content-type'], js.body]).toEqual([200, 'text/javascript; charset=utf-8', 'console.info(1);\n//# sourceMappingURL=app.js.map\n']);
    expect((await app.inject({ url: '/console/app.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await app.inject({ url: '/console/app.js.map' })).json()).toMatchObject({ sources: ['../../console/src/main.ts'] });
    // A map that was not built is not routed.
    expect((await app.inject({ url: '/console/app.css.map' })).statusCode).toBe(404);
  });

  it('answers 503 with a hint when the console is not built, and still serves the page', async () => {
    const app = await consoleApp(null, join(tempDir(), 'missing'));
    for (const file of ['app.js', 'app.css']) {
      const res = await app.inject({ url: `/console/${file}` });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.message).toContain('npm run build');
    }
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });

  it('answers 503 with a hint when @ns/ws-client is not built, and still serves the page', async () => {
    const app = await consoleApp(null);
    const js = await app.inject({ url: '/console/ws-client.js' });
    expect(js.statusCode).toBe(503);
    expect(js.json().error.message).toContain('npm run build');
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
  });
});
