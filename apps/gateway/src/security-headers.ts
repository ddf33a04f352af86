import type { FastifyInstance } from 'fastify';

/** Paths of the console page and its assets: the only responses a browser renders. */
const isConsole = (url: string): boolean => url === '/' || url.startsWith('/console/') || url.startsWith('/index.html');

/** The console's policy: own scripts and styles only, WebSocket back to the serving host, never framed. */
function consolePolicy(host: string | undefined): string {
  // Host is echoed into a header: accept only characters a host:port can contain.
  const safeHost = host !== undefined && /^[A-Za-z0-9.:[\]-]{1,260}$/.test(host) ? host : undefined;
  const ws = safeHost === undefined ? '' : ` ws://${safeHost} wss://${safeHost}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Security headers on every response: `nosniff`, no referrer, never framed; `no-store` on the API
 * (events and counters must not sit in caches); a strict CSP for the console page and `default-src
 * 'none'` for everything else, since JSON is never meant to run as a document.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const path = req.url.split('?', 1)[0] ?? '/';
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    if (isConsole(path)) {
      reply.header('Content-Security-Policy', consolePolicy(req.headers.host));
      reply.header('Cache-Control', 'no-cache');
    } else {
      reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      if (!path.startsWith('/schemas/') && path !== '/asyncapi.json') reply.header('Cache-Control', 'no-store');
    }
    return payload;
  });
}
