import { NsError, toNsError } from '@ns/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';

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

/** Every error and unknown route answers with the contracts' ErrorBody (`{error: {code, message}}`). */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
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
