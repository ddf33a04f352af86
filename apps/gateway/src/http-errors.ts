import { NsError, toNsError } from '@ns/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface Mapped {
  error: NsError;
  /** Status when it differs from the code's (the contracts have no code for 415). */
  status?: number;
}

// Fastify's own errors, mapped to the contracts' codes so every error body is an ErrorBody.
function fromFastify(err: FastifyError): Mapped | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new NsError('message_too_large', err.message) };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { error: new NsError('invalid_json', err.message) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new NsError('invalid_message', 'send the body as Content-Type: application/json'), status: 415 };
    default:
      break;
  }
  // Body parse errors (bad JSON, forbidden __proto__ keys) carry statusCode 400 without a code.
  if (err instanceof SyntaxError || (err.statusCode === 400 && err.code === undefined)) {
    return { error: new NsError('invalid_json', err.message) };
  }
  if (err.statusCode === 429) return { error: new NsError('rate_limited', err.message) };
  return undefined;
}

/** How long the rest of an oversized body is read and discarded after its 413, at most. */
export const OVERSIZED_BODY_LINGER_MS = 5_000;

// Fastify answers an oversized body at once and closes the connection while the client is still
// sending, so the client's next write meets a reset and most clients (fetch, Python's urllib) report a
// broken pipe instead of the 413 (measured). Like a server's "lingering close" (RFC 9112 §9.6): keep
// reading and discarding the rest of the body for a bounded time so the client reads its 413.
function lingerOverOversizedBody(req: FastifyRequest, reply: FastifyReply): void {
  const socket = req.raw.socket;
  const destroyLater = () => {
    const timer = setTimeout(() => socket.destroy(), OVERSIZED_BODY_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    return timer;
  };
  // A keep-alive client: Node discards the rest of the body (`req._dump`) and reuses the connection.
  reply.removeHeader('connection');
  const keepAlive = destroyLater();
  req.raw.once('end', () => clearTimeout(keepAlive));
  // A client that asked for `Connection: close`: Node would destroy the socket right after the
  // response (`destroySoon`); half-close instead, and let the client's close or the timer end it.
  socket.destroySoon = () => {
    socket.end();
    destroyLater();
  };
}

/** Every error and unknown route answers with the contracts' ErrorBody (`{error: {code, message}}`). */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') lingerOverOversizedBody(req, reply);
    const mapped: Mapped = err instanceof NsError ? { error: err } : (fromFastify(err) ?? { error: toNsError(err) });
    const status = mapped.status ?? mapped.error.httpStatus;
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (status === 429 && reply.getHeader('retry-after') === undefined) reply.header('Retry-After', '1');
    return reply.code(status).send(mapped.error.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const body = new NsError('invalid_message', `no route ${req.method} ${req.url.split('?', 1)[0]}`).toBody();
    return reply.code(404).send(body);
  });
}
