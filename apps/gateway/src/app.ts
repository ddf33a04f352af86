import { isUtf8 } from 'node:buffer';
import rateLimit from '@fastify/rate-limit';
import { NsError } from '@ns/contracts';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { IpConnectionCounter } from '@ns/ws-server';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';
import { registerHttpAdmission } from './http-admission.js';
import type { HttpAuth } from './http-auth.js';
import { enforceHandshakeDeadline, headerCheckIntervalMs } from './handshake-deadline.js';
import { answerClientError, answerFrameworkError, registerErrorHandling } from './http-errors.js';
import { registerLoopbackHostGuard } from './host-guard.js';
import type { Lifecycle } from './lifecycle.js';
import { isLoopbackHost } from './loopback.js';
import type { GatewayMetrics } from './metrics.js';
import type { ConnectionCounts } from './cluster-metrics.js';
import type { ManagerStatsSource, PublishingBus } from './ports.js';
import { AlertActions } from './alert-actions.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerChannelRoutes } from './routes/channels.js';
import { registerConnectionRoutes } from './routes/connections.js';
import { registerPresenceRoutes } from './routes/presence.js';
import type { DisconnectRelay, Presence } from './presence/index.js';
import { registerConsole } from './routes/console.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerPublishRoute } from './routes/publish.js';
import { registerRevocationRoutes } from './routes/revocations.js';
import type { Revocations } from './revocation/revocations.js';
import type { AuditLog } from './audit.js';
import { registerSchemaRoutes } from './routes/schemas.js';
import { registerStreamRoutes, type StreamRouteOptions } from './routes/stream.js';
import { registerSecurityHeaders } from './security-headers.js';

/**
 * Largest `POST /v1/publish` body. A full batch of 1000 typical events (~300 B each) is ~0.3 MB; 4 MiB
 * leaves room for rich payloads while bounding what one request can make the process buffer.
 */
export const MAX_PUBLISH_BODY_BYTES = 4 * 1024 * 1024;

/** What the HTTP app is built from. */
export interface AppOptions {
  config: GatewayConfig;
  bus: PublishingBus;
  lifecycle: Lifecycle;
  metrics: GatewayMetrics;
  auth: HttpAuth;
  logger: Logger;
  manager?: ManagerStatsSource;
  /** Cluster-wide subscriber counts under NS_WORKERS (see `ChannelRoutesOptions.counts`). */
  counts?: () => Promise<Pick<ConnectionCounts, 'subscriptions'>>;
  publicDir: string;
  schemasDir: string | null;
  /** Cluster-wide presence and the admin API of connections (both or neither). */
  presence?: { presence: Presence; relay: DisconnectRelay };
  /** Where HTTP requests in flight are counted, shared with the /ws endpoint. Default: a counter of its own. */
  connections?: IpConnectionCounter;
  /** Token revocation (`/v1/revocations`); the routes are absent without it. */
  revocations?: Revocations;
  /** `GET /v1/stream` and `POST /v1/stream-tickets` (Server-Sent Events); absent: not served. */
  stream?: Omit<StreamRouteOptions, 'auth' | 'lifecycle'>;
  /** The audit log of admin actions (authentication failures are audited by `auth`). */
  audit?: AuditLog;
}

/**
 * The gateway's HTTP API (docs/protocol.md#http-api) on Fastify, logging through the process's pino logger. The
 * returned instance is not listening yet; its `server` is where the /ws endpoint attaches.
 */
export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  // Typed with pino's Logger, the instance differs from the default FastifyInstance the route modules
  // take only in its logger type parameter; one cast here instead of a generic on every route module.
  const handshakeTimeoutMs = o.config.handshakeTimeoutS * 1000;
  const app = Fastify({
    loggerInstance: o.logger,
    http: { connectionsCheckingInterval: headerCheckIntervalMs(handshakeTimeoutMs) },
    // The whole request, body included (Node answers 408 and closes the connection): a stalled upload
    // must not hold its connection and buffers for Node's default of 5 minutes.
    requestTimeout: o.config.requestTimeoutS * 1000,
    bodyLimit: MAX_PUBLISH_BODY_BYTES,
    trustProxy: o.config.trustProxy,
    // An alert id (`POST /v1/alerts/{id}/…`) may be 256 characters, up to 12 bytes each percent-encoded.
    routerOptions: { maxParamLength: 256 * 12 },
    // Per-request info logs would dominate at publish rates; completions are logged at debug below.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Errors raised before routing or by Node's HTTP parser answer with the contracts' error body too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Default (`idle`) closes idle keep-alive sockets on close so shutdown is not held by them.
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  // The API speaks only JSON: bodies sent without a JSON content type (fetch's default text/plain, curl
  // -d's form type) are parsed as JSON too, with the same prototype-poisoning guard. Cross-site form
  // posts are stopped by the Origin check (browsers send Origin on every cross-origin POST), not here.
  // Bodies are read as bytes so that invalid UTF-8 is refused (JSON text is UTF-8, RFC 8259 §8.1)
  // instead of being decoded lossily into U+FFFD and published as something the sender never sent.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    if (!isUtf8(body)) {
      done(new NsError('invalid_json', 'body is not valid UTF-8 (JSON text must be UTF-8)'), undefined);
      return;
    }
    json(req, body.toString('utf8'), done);
  });
  enforceHandshakeDeadline(app.server, handshakeTimeoutMs);
  registerErrorHandling(app);
  registerHttpAdmission(app, {
    counter: o.connections ?? new IpConnectionCounter(),
    maxConnections: o.config.maxConnections,
    ipMaxConnections: o.config.ipMaxConnections,
  });
  registerSecurityHeaders(app);
  if (isLoopbackHost(o.config.host)) registerLoopbackHostGuard(app);
  app.addHook('onResponse', async (req, reply) => {
    const level = reply.statusCode >= 500 ? 'warn' : 'debug';
    req.log[level]({ req, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
  });

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new NsError('rate_limited', `too many requests; retry in ${ctx.after}`),
  });

  o.audit?.auditAdminRoutes(app, o.auth);
  registerHealthRoutes(app, o.lifecycle, o.bus.engine.name);
  registerMetricsRoute(app, o.metrics);
  registerPublishRoute(app, { bus: o.bus, auth: o.auth, lifecycle: o.lifecycle, metrics: o.metrics, ratePerSecond: o.config.publishRate });
  registerAlertRoutes(app, { actions: new AlertActions(o.bus), auth: o.auth, lifecycle: o.lifecycle, engineName: o.bus.engine.name, ratePerSecond: o.config.publishRate });
  if (o.revocations !== undefined) registerRevocationRoutes(app, { revocations: o.revocations, auth: o.auth, lifecycle: o.lifecycle, max: o.config.maxRevocations, ...(o.audit && { audit: o.audit }) });
  registerChannelRoutes(app, {
    bus: o.bus,
    auth: o.auth,
    lifecycle: o.lifecycle,
    manager: o.manager,
    ...(o.counts === undefined ? {} : { counts: o.counts }),
    ...(o.presence === undefined ? {} : { presence: o.presence.presence }),
  });
  if (o.presence !== undefined) {
    registerPresenceRoutes(app, { presence: o.presence.presence, auth: o.auth });
    registerConnectionRoutes(app, { ...o.presence, auth: o.auth });
  }
  if (o.stream !== undefined) registerStreamRoutes(app, { ...o.stream, auth: o.auth, lifecycle: o.lifecycle });
  await registerConsole(app, o.publicDir);
  await registerSchemaRoutes(app, o.schemasDir);
  return app;
}
