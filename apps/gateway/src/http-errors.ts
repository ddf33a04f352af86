import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { NsError, toNsError, type ErrorCode } from '@ns/contracts';
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

// The contracts' code for a client-error status; statuses without a code of their own keep their
// status with the generic `invalid_message`.
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = { 401: 'unauthorized', 403: 'forbidden', 413: 'message_too_large', 429: 'rate_limited' };

/**
 * A 4xx raised by a plugin or the framework (e.g. @fastify/static refusing a path that leaves its
 * directory or names one: 403; a missing file: 404) as the contracts' error, keeping its status and
 * saying what was refused. `undefined` for anything that is not a client error.
 */
function fromClientErrorStatus(err: FastifyError, req: FastifyRequest): Mapped | undefined {
  const status = err.statusCode ?? (err as { status?: number }).status;
  if (status === undefined || status < 400 || status > 499) return undefined;
  const path = (req.url.split('?', 1)[0] ?? '/').slice(0, 200);
  const code = CODE_BY_STATUS[status] ?? 'invalid_message';
  const what = status === 403 ? 'is not a file this route serves (outside its directory, or a directory)' : status === 404 ? 'was not found' : `was refused (${STATUS_CODES[status] ?? status})`;
  return { error: new NsError(code, `${req.method} ${path} ${what}`), status };
}

/**
 * Fastify's `frameworkErrors`: errors raised before routing (a malformed percent-escape in the path,
 * FST_ERR_BAD_URL; a path parameter over the length limit) answered with the contracts' error body
 * instead of Fastify's own, and logged at info: they are the client's mistake.
 */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const message = err.code === 'FST_ERR_BAD_URL' ? 'the URL path holds a malformed percent-escape' : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a URL path segment is too long' : 'the request cannot be routed';
  const status = err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 400 : (err.statusCode ?? 400);
  req.log.info({ url: req.url, code: err.code, status }, 'request refused before routing');
  void reply.code(status).send(new NsError(status >= 500 ? 'internal' : 'invalid_message', message).toBody());
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (malformed request line or
 * headers, headers too large, headers too slow) answered with the contracts' error body on the raw
 * socket, logged at debug (Fastify's default logs these at trace: they are usually scanners).
 */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, error] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, new NsError('invalid_message', 'the request (headers, or its body) did not arrive in time')]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, new NsError('message_too_large', 'the request headers are too large')]
        : [400, new NsError('invalid_message', 'malformed HTTP request')];
  this.log.debug({ code: err.code, status }, 'malformed HTTP request refused');
  if (socket.writable) {
    const body = JSON.stringify(error.toBody());
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** How long the rest of an oversized or unread body is read and discarded after its error reply, at most. */
export const OVERSIZED_BODY_LINGER_MS = 5_000;

// Fastify answers an oversized body at once and closes the connection while the client is still
// sending, so the client's next write meets a reset and most clients (fetch, Python's urllib) report a
// broken pipe instead of the 413 (measured). Like a server's "lingering close" (RFC 9112 §9.6): keep
// reading and discarding the rest of the body for a bounded time so the client reads its 413.
// The same holds for any error answered before the body was read (credentials are checked in
// `onRequest`): a publisher with a wrong key sees its 401, and a stalled upload is closed after the
// linger time instead of holding its connection.
function lingerOverUnreadBody(req: FastifyRequest, reply: FastifyReply): void {
  const socket = req.raw.socket;
  // A request injected in-process (fastify.inject) has no connection to linger on: its stand-in socket
  // has no destroy(), and the timer below threw from it 5 s later in a slow test worker.
  if (!(socket instanceof Socket)) return;
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

const closing = new WeakSet<FastifyRequest>();

/** Makes the error reply to `req` end its connection (after the linger, if its body is unread). */
export function closeAfterErrorReply(req: FastifyRequest): void {
  closing.add(req);
}

/** A request that announced a body Node has not received in full yet. */
const bodyUnread = (req: FastifyRequest): boolean =>
  !req.raw.complete && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);

/** Every error and unknown route answers with the contracts' ErrorBody (`{error: {code, message}}`). */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || bodyUnread(req)) lingerOverUnreadBody(req, reply);
    if (closing.has(req)) reply.header('connection', 'close');
    const mapped: Mapped = err instanceof NsError ? { error: err } : (fromFastify(err) ?? fromClientErrorStatus(err, req) ?? { error: toNsError(err) });
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
