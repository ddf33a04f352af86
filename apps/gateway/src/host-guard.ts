import { NsError } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';

const LOOPBACK_NAMES = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * On a loopback address, answers only requests addressed to a loopback name. A web page whose DNS
 * name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused, so it
 * cannot use the local gateway's open development defaults from the user's browser.
 */
export function registerLoopbackHostGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    const host = req.headers.host;
    if (host !== undefined && !LOOPBACK_NAMES.test(host)) {
      throw new NsError('forbidden', `Host ${host.slice(0, 100)} is not a loopback name; this gateway listens on loopback only`);
    }
  });
}
