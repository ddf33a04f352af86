import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** `GET /`: the live console (public/index.html, public/console/*), plain HTML, CSS and JS. */
export async function registerConsole(app: FastifyInstance, publicDir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    index: 'index.html',
    // Routes for the files present at start only; anything else reaches the 404 handler.
    wildcard: false,
    cacheControl: false,
  });
}
