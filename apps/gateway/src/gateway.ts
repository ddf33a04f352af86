import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { EventBus } from '@ns/event-bus';
import { WsManager } from '@ns/ws-manager';
import { attach, BurstLimiter, IpConnectionCounter, SseStreams, type WsEndpoint } from '@ns/ws-server';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyRing } from './api-keys.js';
import { buildApp } from './app.js';
import { AuditLog } from './audit.js';
import { ClusterStatsClient } from './cluster-metrics.js';
import type { GatewayConfig } from './config.js';
import { createControlPlane, type ControlPlane } from './control/index.js';
import { createEngine } from './engine-factory.js';
import { HttpAuth } from './http-auth.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { GatewayMetrics } from './metrics.js';
import { closeMatching, controlPlaneRelay, createPresence, PresenceNotices, registerPresenceMetrics } from './presence/index.js';
import type { StreamRouteStats } from './routes/stream.js';
import { StreamTickets } from './stream-tickets.js';
import { findSchemasDir, PUBLIC_DIR } from './paths.js';
import { revocationChecking } from './revocation/revoking-verifier.js';
import { Revocations } from './revocation/revocations.js';
import { createTokenVerifier, NO_TOKEN_AUTHENTICATOR } from './token-verifier.js';
import { httpUrl, wsUrlOf } from './urls.js';

/** Options of {@link createGateway} that are not environment configuration. */
export interface GatewayOptions {
  /** Defaults to a pino logger at `config.logLevel` on stdout. */
  logger?: Logger;
  /** Directory of the generated schemas; default: found relative to the package (see `findSchemasDir`). */
  schemasDir?: string | null;
}

/** A running gateway. */
export interface Gateway {
  /** `http://host:port` as a client on this machine reaches it. */
  readonly url: string;
  /** `ws://host:port/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly config: GatewayConfig;
  readonly app: FastifyInstance;
  readonly bus: EventBus;
  readonly manager: WsManager;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  /** Notices to every instance sharing the engine, and small shared records with expiry (control/). */
  readonly control: ControlPlane;
  /** The audit log (logger name `audit`): admin routes record their actions here. */
  readonly audit: AuditLog;
  /** Human-readable lines describing how the gateway is exposed (the start banner). */
  describe(): string[];
  /**
   * Graceful shutdown: readiness false, `system.notice` to clients, close 1001, flush, stop HTTP, close
   * the engine. Resolves when everything is closed. Idempotent.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Composes the service (docs/architecture.md#packages): EventBus(engine) → WsManager → Fastify HTTP API → /ws endpoint
 * attached to the same HTTP server, then listens on `config.host:config.port`.
 */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logLevel, { format: config.logFormat });
  const engine = await createEngine(config, logger);
  const bus = new EventBus({ engine, logger: logger.child({ component: 'event-bus' }) });
  const control = await createControlPlane(config, logger);
  const lifecycle = new Lifecycle(() => bus.engine.state === 'ready');
  const stopLoggingState = engine.onStateChange((state) =>
    logger[state === 'ready' ? 'info' : 'error']({ engine: engine.name, state }, `engine ${state}`),
  );
  const manager = new WsManager({
    bus,
    writeDelayMs: config.writeDelayMs,
    heartbeatMs: config.heartbeatS * 1000,
    maxSubscriptions: config.maxSubscriptions,
    replayBytesPerS: config.replayBytesPerS,
    logger: logger.child({ component: 'ws-manager' }),
  });
  const revocations = new Revocations({ control, maxLifetimeS: config.jwtMaxLifetimeS, max: config.maxRevocations, logger: logger.child({ component: 'revocations' }) });
  await revocations.load();
  const jwt = createTokenVerifier(config.auth, config.jwtMaxLifetimeS);
  // Every token check (/ws connect, auth, refresh; HTTP) goes through the revocation check.
  const verifier = jwt === null ? null : revocationChecking(jwt, revocations);
  const metrics = new GatewayMetrics({ bus, lifecycle, manager });
  const origins = config.allowedOrigins;
  const keys = new ApiKeyRing(config.publishKeys);
  const audit = new AuditLog(logger);
  const auth = new HttpAuth({
    audit,
    mode: config.auth.mode,
    keys,
    verifier,
    allowAnonymous: config.allowAnonymous,
    trustProxy: config.trustProxy !== false,
    allowedOrigins: () => origins,
    onFailure: (reason) => metrics.countHttpAuthFailure(reason),
  });
  // Under NS_WORKERS each worker's manager knows only its own clients; the API reports the cluster's.
  const clusterStats = cluster.isWorker ? new ClusterStatsClient(() => manager.stats()) : undefined;
  // One budget for WebSocket connections and HTTP requests in flight (NS_MAX_CONNECTIONS, NS_IP_MAX_CONNECTIONS).
  const connections = new IpConnectionCounter();
  // Presence names this instance as the control plane does, so listings and notices agree.
  // Join/leave notices on `system` (NS_PRESENCE_NOTICES, off by default) ride on presence's flushes.
  const notices = config.presenceNotices
    ? new PresenceNotices({ publish: (e) => bus.publish(e), ratePerS: config.presenceNoticeRate, logger: logger.child({ component: 'presence-notices' }), registry: metrics.registry })
    : undefined;
  const presence = await createPresence(config, manager, control.instanceId, logger, notices === undefined ? undefined : (c) => notices.onChanges(c));
  registerPresenceMetrics(metrics.registry, presence);
  const relay = controlPlaneRelay(control);
  const stopDisconnects = relay.onOrder((order) => {
    const closed = closeMatching(manager.sinks(), order, (sink) => presence.changed(sink));
    if (closed > 0) logger.info({ target: order.target, closed }, 'connections closed by an administrator');
  });
  // One per-IP connect rate (NS_IP_CONNECT_RATE) for WebSocket upgrades and Server-Sent Events streams.
  const connectLimiter = new BurstLimiter(config.ipConnectRate, 'ns-connect');
  const streams = new SseStreams({
    manager,
    heartbeatS: config.heartbeatS,
    maxMessageBytes: config.maxMessageBytes,
    logger: logger.child({ component: 'sse' }),
  });
  const streamStats: StreamRouteStats = { rejected: {}, authFailures: 0, ticketsIssued: 0 };
  metrics.attachStreams({ stats: () => ({ ...streams.stats(), ...streamStats }) });
  const app = await buildApp({
    presence: { presence, relay },
    connections,
    stream: {
      streams,
      tickets: new StreamTickets(),
      mode: config.auth.mode,
      verifier,
      allowAnonymous: config.allowAnonymous,
      connectLimiter,
      ticketRatePerSecond: config.ipConnectRate,
      stats: streamStats,
      revocations,
    },
    config,
    bus,
    lifecycle,
    metrics,
    auth,
    logger,
    manager,
    revocations,
    audit,
    ...(clusterStats === undefined ? {} : { counts: () => clusterStats.fetch() }),
    publicDir: PUBLIC_DIR,
    schemasDir: options.schemasDir === undefined ? findSchemasDir() : options.schemasDir,
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // The engine's connections (Redis) would keep the process alive behind a start-up error.
    await app.close().catch(() => {});
    stopDisconnects();
    await presence.close();
    await bus.close();
    stopLoggingState();
    revocations.close();
    await control.close();
    await engine.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  // Attached in the same tick as `listen` resolved: no upgrade can arrive before the handler exists.
  const endpoint: WsEndpoint = attach(app.server, {
    manager,
    path: '/ws',
    // Local mode has no key to verify tokens with: anonymous clients get the permission-free channels
    // and every token is refused, so protected channels stay closed until NS_JWT_* or NS_AUTH=none.
    authenticator: config.auth.mode === 'none' ? null : (verifier ?? NO_TOKEN_AUTHENTICATOR),
    audit: (entry) => audit.session(entry),
    allowAnonymous: config.allowAnonymous,
    allowedOrigins: origins,
    maxConnections: config.maxConnections,
    ipMaxConnections: config.ipMaxConnections,
    connectionCounter: connections,
    ipConnectRate: config.ipConnectRate,
    connectLimiter,
    trustProxy: config.trustProxy,
    clientMessageRate: config.clientMessageRate,
    maxMessageBytes: config.maxMessageBytes,
    handshakeTimeoutMs: config.handshakeTimeoutS * 1000,
    heartbeatS: config.heartbeatS,
    logger: logger.child({ component: 'ws-server' }),
    isAccepting: () => !lifecycle.draining,
  });
  metrics.attachEndpoint(endpoint);

  const url = httpUrl(config.host, port);
  let closing: Promise<void> | undefined;

  const gateway: Gateway = {
    url,
    wsUrl: wsUrlOf(url),
    port,
    config,
    app,
    bus,
    manager,
    lifecycle,
    logger,
    control,
    audit,
    describe: () => describeGateway(config, url, auth.describePublishing(), origins),
    close: (o = {}) => (closing ??= drain(o.graceMs ?? config.shutdownGraceS * 1000)),
  };

  async function drain(graceMs: number): Promise<void> {
    const started = Date.now();
    lifecycle.startDraining();
    logger.info({ grace_ms: graceMs }, 'draining: readiness false, refusing new publishes and connections');
    try {
      await bus.publish({
        type: 'system.notice',
        id: `shutdown-${process.pid}-${started}`,
        data: { level: 'warning', message: 'gateway shutting down; reconnect to resume', code: 'shutdown', timestamp: started / 1000 },
      });
    } catch (err) {
      logger.warn({ err }, 'could not publish the shutdown notice');
    }
    // Clients get most of the grace period for the closing handshake; the rest is for HTTP and the engine.
    const wsGraceMs = Math.max(0, Math.floor(graceMs * 0.8) - (Date.now() - started));
    await endpoint.close({ graceMs: wsGraceMs });
    await manager.close({ graceMs: wsGraceMs, notice: 'server shutting down' });
    // A request still receiving its body (a stalled upload) would hold app.close() past the grace
    // period and the process would exit 1: HTTP gets up to 90 % of it, then its connections are closed.
    await closeWithin(app, Math.max(0, Math.floor(graceMs * 0.9) - (Date.now() - started)), logger);
    stopDisconnects();
    await presence.close();
    await bus.close();
    // The bus does not own an engine it was given; closing it is not an outage worth an error line.
    stopLoggingState();
    revocations.close();
    await control.close();
    await engine.close();
    logger.info({ ms: Date.now() - started }, 'gateway closed');
  }

  for (const warning of config.warnings) logger.warn(warning);
  logger.info({ url, engine: engine.name, auth: config.auth.mode }, `ns-gateway listening on ${url}`);
  return gateway;
}

async function closeWithin(app: FastifyInstance, ms: number, logger: Logger): Promise<void> {
  const closed = app.close();
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)))]);
  clearTimeout(timer);
  if (!late) return;
  logger.warn({ grace_ms: ms }, 'HTTP requests still open at the end of the grace period; closing their connections');
  app.server.closeAllConnections();
  await closed;
}

function describeGateway(config: GatewayConfig, url: string, publishing: string, origins: string[] | '*'): string[] {
  const auth = {
    jwt: `JWT required for protected channels (${config.auth.mode === 'jwt' && config.auth.secret !== undefined ? 'HS256 secret' : 'public key'}); anonymous ${config.allowAnonymous ? 'may read status and system' : 'refused'}`,
    none: 'OFF (NS_AUTH=none): every client may read and publish everything — trusted networks only',
    local:
      'no JWT key configured: anonymous clients may read status and system only; threats, alerts, metrics, events and correlations stay closed (set NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE, or NS_AUTH=none for local development)',
  }[config.auth.mode];
  const engine = config.engine === 'memory' ? 'memory (one process; history is lost on restart)' : `redis (prefix ${config.redisPrefix})`;
  return [
    `ns-gateway listening on ${url}`,
    `  console     ${url}/`,
    `  websocket   ${wsUrlOf(url)}`,
    `  sse         ${url}/v1/stream?channels=…`,
    `  engine      ${engine}`,
    `  auth        ${auth}`,
    `  publishing  ${publishing}`,
    `  origins     ${origins === '*' ? '* (every origin)' : ['same host (by IP or localhost)', ...origins].join(', ')}`,
    `  metrics     ${url}/metrics`,
    ...config.warnings.map((w) => `  WARNING     ${w}`),
  ];
}
