import { NsError } from '@ns/contracts';
import type { IpConnectionCounter } from '@ns/ws-server';
import type { FastifyInstance } from 'fastify';
import { closeAfterErrorReply } from './http-errors.js';

/** Options of {@link registerHttpAdmission}. */
export interface HttpAdmissionOptions {
  /** The counter the /ws endpoint counts its connections in (one budget for both). */
  counter: IpConnectionCounter;
  /** `NS_MAX_CONNECTIONS`. */
  maxConnections: number;
  /** `NS_IP_MAX_CONNECTIONS`. */
  ipMaxConnections: number;
}

/**
 * Counts every HTTP request in flight, from its headers until its response is done or its connection
 * closes, in the same global and per-IP budget as WebSocket connections (`NS_MAX_CONNECTIONS`,
 * `NS_IP_MAX_CONNECTIONS`): 50 uploads stalled one byte short of 4 MiB otherwise held their
 * connections and ~184 MB with no limit but the request timeout. Over the global cap → 503, over the
 * per-IP cap → 429; either way before any byte of the body is read, and the connection is closed.
 * The client IP is `request.ip` (X-Forwarded-For only from `NS_TRUST_PROXY`), as on /ws.
 */
export function registerHttpAdmission(app: FastifyInstance, o: HttpAdmissionOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    const ip = req.ip;
    if (o.counter.total >= o.maxConnections) {
      closeAfterErrorReply(req);
      throw new NsError('unavailable', 'too many connections');
    }
    if (o.counter.count(ip) >= o.ipMaxConnections) {
      closeAfterErrorReply(req);
      throw new NsError('rate_limited', 'too many connections from this address');
    }
    const release = o.counter.acquire(ip);
    // 'close' on the response: sent in full, or its connection gone (reset, request timeout).
    reply.raw.once('close', release);
  });
}
