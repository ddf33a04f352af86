import fastifyStatic from '@fastify/static';
import { NsError } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import { findWsClientBundle, loadWsClientBundle, WS_CLIENT_FILE_NAME, WS_CLIENT_MAP_NAME } from '../ws-client-bundle.js';

// The contracts have no `not_found` code: a deployment without the client build is "unavailable".
const notBuilt = () => new NsError('unavailable', 'the console needs the built @ns/ws-client (packages/ws-client/dist); run `npm run build` and restart');

/**
 * `GET /`: the live console (public/index.html, public/console/*), plain HTML, CSS and an ES module that
 * imports `@ns/ws-client`'s browser build from `/console/ws-client.js`. Without that build the gateway
 * still starts; the module then answers 503 with a hint.
 */
export async function registerConsole(app: FastifyInstance, publicDir: string, wsClientFile: string | null = findWsClientBundle()): Promise<void> {
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    index: 'index.html',
    // Routes for the files present at start only; anything else reaches the 404 handler.
    wildcard: false,
    cacheControl: false,
  });

  if (wsClientFile === null) {
    app.log.warn('@ns/ws-client is not built: the console page cannot connect until it is (npm run build)');
    app.get(`/console/${WS_CLIENT_FILE_NAME}`, async () => Promise.reject(notBuilt()));
    return;
  }
  const bundle = loadWsClientBundle(wsClientFile);
  app.get(`/console/${WS_CLIENT_FILE_NAME}`, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(bundle.code));
  if (bundle.map !== null) {
    const map = bundle.map;
    app.get(`/console/${WS_CLIENT_MAP_NAME}`, async (_req, reply) => reply.type('application/json; charset=utf-8').send(map));
  }
}
