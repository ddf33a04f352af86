import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config.js';
import { stdoutLogDestination } from './log-destination.js';
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

/** Options of {@link createLogger} besides the level. */
export interface LoggerOptions {
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
  /** `NS_LOG_FORMAT`; unset = pretty when the destination is stdout on a terminal, JSON otherwise. */
  format?: LogFormat | undefined;
}

/** The format used when none is configured: people read terminals, machines read everything else. */
export function defaultLogFormat(destination: NodeJS.WritableStream | undefined): LogFormat {
  return destination === undefined && process.stdout.isTTY === true ? 'pretty' : 'json';
}

/**
 * The process logger, shared by Fastify and the WebSocket layers: JSON lines (pino) for log shippers,
 * or one readable line per entry (pino-pretty) on a terminal. Authorization headers, cookies and
 * credential query parameters (`?token=`, via @ns/ws-server's `redactUrl`) are redacted wherever a
 * request is logged, in both formats (redaction happens before formatting).
 */
export function createLogger(level: LogLevel, destinationOrOptions?: NodeJS.WritableStream | LoggerOptions): Logger {
  const o: LoggerOptions =
    destinationOrOptions === undefined || typeof (destinationOrOptions as NodeJS.WritableStream).write === 'function'
      ? { destination: destinationOrOptions as NodeJS.WritableStream | undefined }
      : (destinationOrOptions as LoggerOptions);
  const format = o.format ?? defaultLogFormat(o.destination);
  const destination =
    format === 'pretty'
      ? pinoPretty({
          destination: o.destination ?? 1,
          // Synchronous like pino's default stdout: the banner and log lines keep their order.
          sync: true,
          colorize: o.destination === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        })
      : // JSON to stdout: a destination that survives a closed reader (EPIPE) and never hangs the exit.
        (o.destination ?? stdoutLogDestination());
  return pino(
    {
      level,
      base: { service: 'ns-gateway', pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : redactUrl(req.url),
          ip: req.ip ?? req.socket?.remoteAddress,
        }),
        url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
        err: pino.stdSerializers.err,
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
