import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { clip, redactUrl } from '@ns/ws-server';

/** Header paths never written to logs. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
];

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * The process logger: JSON lines on stdout (pino), shared by Fastify and the WebSocket layers.
 * Authorization headers, cookies and credential query parameters (`?token=`, via @ns/ws-server's
 * `redactUrl`) are redacted wherever a request is logged.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ns-gateway', pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          // Client input: clipped like every other client-supplied string in a log line.
          url: req.url === undefined ? undefined : clip(redactUrl(req.url)),
          ip: req.ip ?? req.socket?.remoteAddress,
        }),
        url: (url: unknown) => (typeof url === 'string' ? clip(redactUrl(url)) : url),
        err: pino.stdSerializers.err,
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
