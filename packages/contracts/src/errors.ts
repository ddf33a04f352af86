import { z } from 'zod';

/** WebSocket close codes used by the gateway (docs/protocol.md#close-codes). */
export const CLOSE_CODES = {
  NORMAL: 1000,
  /** Server shutting down; reconnect (to another instance) right away. */
  GOING_AWAY: 1001,
  /** Policy violation, e.g. a disallowed Origin. */
  POLICY: 1008,
  /** A message exceeded the size limit. */
  TOO_BIG: 1009,
  INTERNAL: 1011,
  /** Repeated protocol abuse (invalid frames, binary frames, floods). */
  PROTOCOL_ABUSE: 4000,
  /** Unauthorized, token expired, or no `auth` within the auth timeout. */
  UNAUTHORIZED: 4001,
  RATE_LIMITED: 4002,
  FORBIDDEN: 4003,
  /** The client could not keep up with a lossless channel; resume with `since`. */
  SLOW_CONSUMER: 4008,
} as const;
/** One of the {@link CLOSE_CODES} values. */
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * Every error code, with the HTTP status and the WebSocket close code it maps to (when the error is
 * fatal for a connection). The one place where codes meet statuses.
 */
export const ERROR_CODES = {
  invalid_json: { http: 400, close: null, description: 'The body or frame is not valid JSON.' },
  invalid_message: { http: 400, close: null, description: 'The message does not match its schema.' },
  unknown_type: { http: 400, close: null, description: 'The message or event type is not known.' },
  unknown_channel: { http: 404, close: null, description: 'The channel is not in the registry.' },
  unauthorized: { http: 401, close: CLOSE_CODES.UNAUTHORIZED, description: 'Missing or invalid credentials.' },
  forbidden: { http: 403, close: CLOSE_CODES.FORBIDDEN, description: 'The principal lacks the permission.' },
  token_expired: { http: 401, close: CLOSE_CODES.UNAUTHORIZED, description: 'The token has expired.' },
  rate_limited: { http: 429, close: CLOSE_CODES.RATE_LIMITED, description: 'Too many requests or messages.' },
  message_too_large: { http: 413, close: CLOSE_CODES.TOO_BIG, description: 'Over the size limit.' },
  too_many_subscriptions: { http: 400, close: null, description: 'Over the per-connection subscription cap.' },
  unavailable: { http: 503, close: null, description: 'The engine is down or the gateway is draining.' },
  internal: { http: 500, close: CLOSE_CODES.INTERNAL, description: 'An unexpected server error.' },
} as const;

/** A stable error code, e.g. `'invalid_message'`. */
export type ErrorCode = keyof typeof ERROR_CODES;
/** All error codes, in table order. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];
/** Zod schema of the error codes. */
export const ErrorCodeSchema = z.enum(ERROR_CODE_NAMES as [ErrorCode, ...ErrorCode[]]).meta({
  id: 'ErrorCode',
  title: 'Error code',
  description: ERROR_CODE_NAMES.map((c) => `\`${c}\`: ${ERROR_CODES[c].description}`).join(' '),
  examples: ['invalid_message'],
});

/** One problem with an input, naming the field by path (e.g. `events[3].data.source_ip`). */
export const ErrorIssue = z
  .strictObject({
    /** Index of the event in a batch, when the input was a batch. */
    index: z.int().min(0).optional(),
    path: z.string(),
    code: z.string(),
    message: z.string(),
  })
  .meta({
    id: 'ErrorIssue',
    title: 'Error issue',
    description: 'One problem with an input; `path` names the field.',
    examples: [{ index: 3, path: 'events[3].data.source_ip', code: 'invalid_union', message: 'Invalid IP address' }],
  });
export type ErrorIssue = z.infer<typeof ErrorIssue>;

/** Options of {@link NsError}. */
export interface NsErrorOptions {
  issues?: ErrorIssue[];
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error class of the gateway: a stable `code`, a message, and optional field issues. */
export class NsError extends Error {
  override readonly name = 'NsError';
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: NsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues;
    this.details = options.details;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** WebSocket close code when the error ends a connection, else `null`. */
  get closeCode(): CloseCode | null {
    return ERROR_CODES[this.code].close;
  }

  /** The JSON error body of the HTTP API. */
  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.issues !== undefined) error.issues = this.issues;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** Normalises anything thrown into an {@link NsError} (unknown errors become `internal`). */
export function toNsError(err: unknown): NsError {
  if (err instanceof NsError) return err;
  return new NsError('internal', 'internal error', { cause: err });
}

/** HTTP error body: `{ error: { code, message, issues? } }`. */
export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: ErrorCodeSchema,
      message: z.string(),
      issues: z.array(ErrorIssue).optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({
    id: 'ErrorBody',
    title: 'Error response',
    description: 'Body of every 4xx/5xx response of the HTTP API.',
    examples: [
      {
        error: {
          code: 'invalid_message',
          message: 'events[1].data.threat_score: Invalid input: expected number, received string',
          issues: [{ index: 1, path: 'events[1].data.threat_score', code: 'invalid_type', message: 'Invalid input: expected number, received string' }],
        },
      },
    ],
  });
export type ErrorBody = z.infer<typeof ErrorBody>;
