import { z } from 'zod';
export { CLOSE_CODES, ERROR_CODE_NAMES, ERROR_CODES, type CloseCode, type ErrorCode } from './wire.js';
import { ERROR_CODE_NAMES, ERROR_CODES, type CloseCode, type ErrorCode } from './wire.js';

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

/** How {@link toNsError} reports an error that is not already an {@link NsError}. */
export interface ErrorFallback {
  code: ErrorCode;
  /** A prefix (`<message>: <reason>`), or the whole message built from the error's own message. */
  message: string | ((reason: string) => string);
  details?: Record<string, unknown>;
}

/**
 * Normalises anything thrown into an {@link NsError}: an NsError as it is; anything else as
 * `fallback` says (its message naming the original's), or `internal` without one.
 */
export function toNsError(err: unknown, fallback?: ErrorFallback): NsError {
  if (err instanceof NsError) return err;
  if (fallback === undefined) return new NsError('internal', 'internal error', { cause: err });
  const reason = err instanceof Error ? err.message : String(err);
  const message = typeof fallback.message === 'string' ? `${fallback.message}: ${reason}` : fallback.message(reason);
  return new NsError(fallback.code, message, { cause: err, ...(fallback.details !== undefined && { details: fallback.details }) });
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
