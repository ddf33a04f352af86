import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { NsError } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_BUILD_DIR } from '../paths.js';
import { findWsClientBundle, loadWsClientBundle, WS_CLIENT_FILE_NAME, WS_CLIENT_MAP_NAME } from '../ws-client-bundle.js';

// The contracts have no `not_found` code: a deployment without a build is "unavailable".
const notBuilt = (what: string, where: string) => new NsError('unavailable', `the console needs ${what} (${where}); run \`npm run build\` and restart`);

/** The console bundle's files, by the name they are served under, with their content types. */
const BUNDLE_FILES = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.css.map': 'application/json; charset=utf-8',
} as const;

/**
 * `GET /`: the console — public/index.html and the bundle built from console/src (TypeScript, with
 * `@ns/ws-client` and uPlot inside) served from memory as `/console/app.js` and `/console/app.css`.
 * Without the build the gateway still starts; those files then answer 503 with a hint.
 * `@ns/ws-client`'s browser build is also served on its own, as `/console/ws-client.js`, for pages
 * that import it directly.
 */
export async function registerConsole(
  app: FastifyInstance,
  publicDir: string,
  wsClientFile: string | null = findWsClientBundle(),
  bundleDir: string = CONSOLE_BUILD_DIR,
): Promise<void> {
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    index: 'index.html',
    // Routes for the files present at start only; anything else reaches the 404 handler.
    wildcard: false,
    cacheControl: false,
  });

  const built = existsSync(join(bundleDir, 'app.js'));
  if (!built) app.log.warn(`the console is not built (${bundleDir} is missing): GET / cannot run until it is (npm run build)`);
  for (const [name, type] of Object.entries(BUNDLE_FILES)) {
    const file = join(bundleDir, name);
    if (!built) {
      if (!name.endsWith('.map')) app.get(`/console/${name}`, async () => Promise.reject(notBuilt('its bundle', 'apps/gateway/dist/console')));
      continue;
    }
    if (!existsSync(file)) continue;
    const body = readFileSync(file, 'utf8');
    app.get(`/console/${name}`, async (_req, reply) => reply.type(type).send(body));
  }

  if (wsClientFile === null) {
    app.get(`/console/${WS_CLIENT_FILE_NAME}`, async () => Promise.reject(notBuilt('the built @ns/ws-client', 'packages/ws-client/dist')));
    return;
  }
  const bundle = loadWsClientBundle(wsClientFile);
  app.get(`/console/${WS_CLIENT_FILE_NAME}`, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(bundle.code));
  if (bundle.map !== null) {
    const map = bundle.map;
    app.get(`/console/${WS_CLIENT_MAP_NAME}`, async (_req, reply) => reply.type('application/json; charset=utf-8').send(map));
  }
}
