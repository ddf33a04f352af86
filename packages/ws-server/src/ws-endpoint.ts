import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, DEFAULT_MAX_MESSAGE_BYTES, SUBPROTOCOL, type ErrorCode } from '@ns/contracts';
import { ConnectionWebSocket, type Connection, type WsManager } from '@ns/ws-manager';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { upgradeCredential, type Authenticator } from './authenticator.js';
import type { SessionAudit, SessionAuditEntry } from './session-audit.js';
import { ClientSession } from './client-session.js';
import { AUTH_EXPIRING_NOTICE_S } from './session-context.js';
import { clientIp, compileTrust, type TrustProxy } from './client-ip.js';
import { compileOriginPolicy, type AllowedOrigins } from './origin-policy.js';
import {
  BurstLimiter,
  DEFAULT_CLIENT_MESSAGE_RATE,
  DEFAULT_IP_CONNECT_RATE,
  DEFAULT_IP_MAX_CONNECTIONS,
  IpConnectionCounter,
} from './rate-limits.js';
import { clip } from './log-fields.js';
import { pendingBytesCap } from './inbound-limits.js';
import { redactUrl } from './redact.js';
import { DeadlineQueue } from './deadline-queue.js';

/** Options of {@link attach}. */
export interface WsServerOptions {
  manager: WsManager;
  /** Endpoint path. Default `/ws`. */
  path?: string;
  /** Verifies credentials; `null` disables auth (`NS_AUTH=none`: every connection is fully permitted). */
  authenticator: Authenticator | null;
  /** Receives one entry per auth failure, subscribe denial and revocation close (see {@link SessionAuditEntry}). */
  audit?: SessionAudit;
  /** Let connections without credentials read permission-free channels (`NS_ALLOW_ANONYMOUS`). Default false. */
  allowAnonymous?: boolean;
  /** Browser origins allowed besides the page's own host; `'*'` only by explicit choice. Default none. */
  allowedOrigins?: readonly string[] | '*';
  /** Global cap on connections (`NS_MAX_CONNECTIONS`). Default 10 000. */
  maxConnections?: number;
  /** Concurrent connections per client IP (`NS_IP_MAX_CONNECTIONS`). Default 1000. */
  ipMaxConnections?: number;
  /**
   * Where connections are counted against `maxConnections` and `ipMaxConnections`; pass the one the
   * HTTP server counts its requests in to give both one budget. Default: a counter of its own.
   */
  connectionCounter?: IpConnectionCounter;
  /** New connections per client IP per second, bursts of twice that (`NS_IP_CONNECT_RATE`). Default 100. */
  ipConnectRate?: number;
  /** The connect-rate limiter to take from, shared with another transport (`GET /v1/stream`); default: one of its own at `ipConnectRate`. */
  connectLimiter?: BurstLimiter;
  /** Proxies whose `X-Forwarded-For` is believed (`NS_TRUST_PROXY`). Default false. */
  trustProxy?: readonly string[] | boolean;
  /** Inbound messages per connection per second, bursts of twice that (`NS_CLIENT_MESSAGE_RATE`). Default 50. */
  clientMessageRate?: number;
  /** Largest inbound message; bigger ones close the connection with 1009 (`NS_MAX_MESSAGE_BYTES`). Default 65 536. */
  maxMessageBytes?: number;
  /** Time for the upgrade checks to complete before answering 408. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Time an unauthenticated connection has to send `auth` before 4001. Default 10 000. */
  authTimeoutMs?: number;
  /** `heartbeat_s` announced in `welcome`. Default: the manager's heartbeat. */
  heartbeatS?: number;
  /** Seconds before token expiry at which `auth_expiring` is sent. Default 30. */
  expiryNoticeS?: number;
  /** Time `ws` waits for the client's close frame before destroying the socket. Default 5 000. */
  closeTimeoutMs?: number;
  logger?: Logger;
  /** False while the gateway drains: upgrades get 503. */
  isAccepting?: () => boolean;
}

/** Counters of an endpoint. */
export interface WsEndpointStats {
  authFailures: number;
  /** Upgrades refused, by reason (`origin` — upgraded then closed 1008 —, `ip_connect_rate`, …). */
  rejectedUpgrades: Record<string, number>;
  rateLimitedMessages: number;
}

/** A `/ws` endpoint attached to an HTTP server. */
export interface WsEndpoint {
  stats(): WsEndpointStats;
  /** Stops accepting (503), closes every connection with 1001, waits up to `graceMs` for the flush, then terminates stragglers. */
  close(options?: { graceMs?: number }): Promise<void>;
}

// Unread TCP chunks one connection may hold while a frame is incomplete (scaled up for large
// NS_MAX_MESSAGE_BYTES, so a legitimate message in ≥ 1 KiB segments always fits).
const MIN_BUFFERED_CHUNKS = 1024;
// How long a connection refused for its origin may take to answer the close frame.
const ORIGIN_CLOSE_LINGER_MS = 2_000;
// Frames one fragmented message may span.
const MAX_FRAGMENTS = 256;

/** Why an upgrade was refused, with its HTTP status and error code. */
const REJECTIONS = {
  path: { status: 404, code: null },
  draining: { status: 503, code: 'unavailable' },
  max_connections: { status: 503, code: 'unavailable' },
  ip_max_connections: { status: 429, code: 'rate_limited' },
  ip_connect_rate: { status: 429, code: 'rate_limited' },
  handshake_timeout: { status: 408, code: null },
} as const satisfies Record<string, { status: number; code: ErrorCode | null }>;
type RejectionReason = keyof typeof REJECTIONS;

function destroySocket(this: Duplex): void {
  this.destroy();
}

function writeRejection(socket: Duplex, reason: RejectionReason, message: string, headers: Record<string, string> = {}): void {
  const { status, code } = REJECTIONS[reason];
  const body = code === null ? '' : JSON.stringify({ error: { code, message } });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    ...(body === '' ? [] : ['Content-Type: application/json']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  if (socket.writable) {
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  } else {
    socket.destroy();
  }
}

/**
 * Serves the WebSocket protocol (docs/protocol.md#websocket) at `path` on `server` (a `node:http` server, or a
 * framework's underlying one such as `fastify.server`). Handles `upgrade` itself so that everything is
 * refused before the handshake where HTTP can still say why: wrong path (404), draining (503), global
 * cap (503), per-IP concurrency and connect rate (429), slow checks (408). A disallowed browser origin
 * is the exception: upgraded and closed at once with 1008 "origin not allowed", which a browser can see.
 */
export function attach(server: Server, options: WsServerOptions): WsEndpoint {
  const manager = options.manager;
  const path = options.path ?? '/ws';
  const logger = options.logger ?? pino({ level: 'silent' });
  const maxConnections = options.maxConnections ?? 10_000;
  const ipMaxConnections = options.ipMaxConnections ?? DEFAULT_IP_MAX_CONNECTIONS;
  // Each key is its handshake's own expiry: the queue calls it when the upgrade checks did not answer in time.
  const deadlines = new DeadlineQueue<() => void>(options.handshakeTimeoutMs ?? 10_000, (expire) => expire());
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const originAllowed = compileOriginPolicy(options.allowedOrigins as AllowedOrigins | undefined);
  const trustProxy: TrustProxy = options.trustProxy ?? false;
  const trusted = compileTrust(trustProxy);
  const connectLimiter = options.connectLimiter ?? new BurstLimiter(options.ipConnectRate ?? DEFAULT_IP_CONNECT_RATE, 'ns-ws-connect');
  const clientMessageRate = options.clientMessageRate ?? DEFAULT_CLIENT_MESSAGE_RATE;
  if (!(clientMessageRate > 0)) throw new RangeError('clientMessageRate must be > 0');
  const counter = options.connectionCounter ?? new IpConnectionCounter();
  const counters = { authFailures: 0, rateLimitedMessages: 0 };
  const rejected: Record<string, number> = {};
  const sessionContext = {
    manager,
    authenticator: options.authenticator,
    audit: options.audit,
    allowAnonymous: options.allowAnonymous ?? false,
    authTimeoutMs: options.authTimeoutMs ?? 10_000,
    heartbeatS: options.heartbeatS ?? manager.heartbeatMs / 1000,
    maxMessageBytes,
    clientMessageRate,
    maxRateLimitedStreak: Math.max(10, Math.ceil(clientMessageRate)),
    expiryNoticeS: options.expiryNoticeS ?? AUTH_EXPIRING_NOTICE_S,
    counters,
    maxPendingBytes: pendingBytesCap(maxMessageBytes),
    logger,
    onClosed: (connection: Connection) => counter.release(connection.remoteAddress as string),
  };
  // `closeTimeout` (ws ≥ 8.18) is missing from @types/ws.
  const wssOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: maxMessageBytes,
    // ws's defaults (256 Ki buffered chunks, 16 Ki fragments per message) let one connection pin far
    // more memory than its message limit: a 60 KB frame trickled one byte per TCP segment held ~8.7 MB
    // of chunk buffers (measured). Real clients send a message in one frame, in segments of ~1.4 KB;
    // beyond these caps ws closes the connection with 1008.
    maxBufferedChunks: Math.max(MIN_BUFFERED_CHUNKS, Math.ceil(maxMessageBytes / 1024)),
    maxFragments: MAX_FRAGMENTS,
    // Frames are built once and shared between sockets, which per-message compression would defeat.
    perMessageDeflate: false,
    clientTracking: false,
    closeTimeout: options.closeTimeoutMs ?? 5_000,
    // Hands pongs to the connection without a 'pong' listener on every socket.
    WebSocket: ConnectionWebSocket,
    handleProtocols: (offered: Set<string>) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  };
  const wss = new WebSocketServer(wssOptions);
  let closing: Promise<void> | undefined;

  const reject = (socket: Duplex, reason: RejectionReason, message: string, log: Record<string, unknown>, headers?: Record<string, string>) => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    logger.info({ reason, status: REJECTIONS[reason].status, ...log }, 'upgrade rejected');
    writeRejection(socket, reason, message, headers);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      handleUpgrade(req, socket, head);
    } catch (err) {
      logger.error({ err }, 'upgrade failed');
      socket.destroy();
    }
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      // Another upgrade handler (e.g. a framework's) may own this path.
      if (server.listenerCount('upgrade') > 1) return;
      reject(socket, 'path', 'no WebSocket endpoint here', { url: clip(redactUrl(req.url ?? '')) });
      return;
    }
    // Errors on a socket we have not handed to `ws` yet (a client resetting mid-handshake) end here.
    // A shared function, not a closure: a closure would keep this upgrade's whole scope (request,
    // headers, URL, head buffer, timer) alive for the life of the connection (~1.5 KB each, measured).
    socket.on('error', destroySocket);
    const ip = clientIp(req, trusted, trustProxy === true);
    // Client input, so clipped: a URL or header can be 16 KB, and each connection logs it. Only the info
    // lines below use the URL and origin: below info, parsing the URL again to redact it is garbage.
    const log = logger.isLevelEnabled('info') ? { ip, url: clip(redactUrl(req.url ?? '')), origin: clip(req.headers.origin) } : { ip };
    if (closing !== undefined || (options.isAccepting !== undefined && !options.isAccepting())) {
      reject(socket, 'draining', 'server is shutting down', log, { 'Retry-After': '1' });
      return;
    }
    // A refused browser origin still gets its upgrade, only to be closed at once (below): a browser
    // reports an HTTP refusal as a bare 1006, indistinguishable from a network error, so its client
    // would retry forever; 1008 "origin not allowed" tells it (and its user) to stop.
    const originRefused = !originAllowed(req.headers.origin, req.headers.host);
    if (counter.total >= maxConnections) {
      reject(socket, 'max_connections', 'too many connections', log, { 'Retry-After': '1' });
      return;
    }
    if (counter.count(ip) >= ipMaxConnections) {
      reject(socket, 'ip_max_connections', 'too many connections from this address', log, { 'Retry-After': '1' });
      return;
    }
    // Until the connection is established; from then on its session releases the slot (onConnection).
    const release = counter.acquire(ip);
    socket.on('close', release);
    const expire = () => reject(socket, 'handshake_timeout', 'handshake timed out', log);
    deadlines.add(expire);
    connectLimiter.take(ip).then(
      ({ allowed, retryAfterMs }) => {
        // Not pending any more: it timed out and was refused already.
        if (!deadlines.delete(expire) || socket.destroyed) return;
        if (!allowed) {
          reject(socket, 'ip_connect_rate', 'too many new connections from this address', log, {
            'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
          });
          return;
        }
        if (closing !== undefined) {
          reject(socket, 'draining', 'server is shutting down', log, { 'Retry-After': '1' });
          return;
        }
        if (originRefused) {
          refuseOrigin(req, socket, head, log);
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket, req, url, ip, log, release));
      },
      (err: unknown) => {
        deadlines.delete(expire);
        logger.error({ err }, 'connect rate limiter failed');
        socket.destroy();
      },
    );
  };

  // Completes the upgrade and closes with 1008 straight away: no welcome, no session, no listener for
  // the client's messages. The socket stays counted against its IP until it is gone, and a client that
  // never answers the close frame is cut off after ORIGIN_CLOSE_LINGER_MS.
  const refuseOrigin = (req: IncomingMessage, socket: Duplex, head: Buffer, log: Record<string, unknown>) => {
    rejected.origin = (rejected.origin ?? 0) + 1;
    logger.info({ reason: 'origin', close_code: CLOSE_CODES.POLICY, ...log }, 'upgrade refused: origin not allowed');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.close(CLOSE_CODES.POLICY, 'origin not allowed');
      const cutOff = setTimeout(() => ws.terminate(), ORIGIN_CLOSE_LINGER_MS);
      cutOff.unref();
      ws.once('close', () => clearTimeout(cutOff));
    });
  };

  const onConnection = (ws: WebSocket, socket: Duplex, req: IncomingMessage, url: URL, ip: string, log: Record<string, unknown>, release: () => void) => {
    const connection = manager.accept(ws, socket, { remoteAddress: ip });
    if (logger.isLevelEnabled('info')) {
      logger.info(
        { connection_id: connection.id, ip, url: log.url, origin: log.origin, user_agent: clip(req.headers['user-agent']), protocol: ws.protocol || null },
        'connection opened',
      );
    }
    if (connection.state !== 'accepting') {
      // Refused at once (shutting down); a session logs its own close.
      connection.onClose((code, reason) => {
        release();
        logger.info({ connection_id: connection.id, ip, code, reason }, 'connection closed');
      });
    } else {
      const session = new ClientSession(connection, sessionContext);
      const subscribe = (url.searchParams.get('subscribe') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      session.start(upgradeCredential(req, url), subscribe);
    }
    // The connection (its session, or the listener above) now releases the IP slot, and `ws` handles
    // socket errors: the handshake's listeners would cost every connection ~300 bytes of listener
    // arrays and a closure (heap snapshots).
    socket.off('close', release);
    socket.off('error', destroySocket);
  };

  server.on('upgrade', onUpgrade);

  return {
    stats: () => ({ authFailures: counters.authFailures, rejectedUpgrades: { ...rejected }, rateLimitedMessages: counters.rateLimitedMessages }),
    close(closeOptions = {}) {
      closing ??= (async () => {
        await manager.close(closeOptions.graceMs === undefined ? {} : { graceMs: closeOptions.graceMs });
        server.off('upgrade', onUpgrade);
        wss.close();
      })();
      return closing;
    },
  };
}
