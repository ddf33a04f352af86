import { z } from 'zod';
import {
  bool,
  decimal,
  hostname,
  int,
  LOG_FORMATS,
  LOG_LEVELS,
  names,
  oneOf,
  origins,
  redisUrl,
  secret,
  secretList,
  trustProxy,
  type EnvParser,
} from './env-parsers.js';

/**
 * One environment variable of the gateway. The table below is the single source for `loadConfig`
 * (parsing, defaults, the config field), `ns-gateway --help`, `check-config`, the unknown-variable
 * check and the README's variable table (`npm run docs:env` regenerates it; a test compares).
 */
export interface EnvVarSpec {
  readonly name: `NS_${string}`;
  /**
   * The `GatewayConfig` field that receives the parsed value. Omitted for variables `loadConfig`
   * combines with others (auth, the request timeout).
   */
  readonly field?: string;
  /** Raw value (trimmed; `undefined` when unset and without default) → typed value, or an issue message. */
  readonly parse: EnvParser;
  /** Default as an operator would write it; `undefined` = unset. */
  readonly default: string | undefined;
  /** One line for --help and the README (plain text: no Markdown). */
  readonly description: string;
  /** The value is never shown: not in errors, logs, check-config or the banner. */
  readonly secret?: true;
}

/**
 * Every environment variable of the gateway (docs/architecture.md#configuration). To add one: add an
 * entry here (with `field` to get it on `GatewayConfig`), then run `npm run docs:env`.
 */
export const ENV_VARS = [
  {
    name: 'NS_HOST',
    field: 'host',
    parse: hostname,
    default: '127.0.0.1',
    description: 'Address to listen on. A non-loopback address requires auth (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE) or an explicit NS_AUTH=none.',
  },
  {
    name: 'NS_PORT',
    field: 'port',
    parse: int(0, 65535),
    default: '8080',
    description: 'TCP port for HTTP and /ws (0 = any free port).',
  },
  {
    name: 'NS_ENGINE',
    field: 'engine',
    parse: oneOf(['memory', 'redis'], 'must be memory or redis'),
    default: 'memory',
    description: 'Event engine: memory (one process) or redis (many processes/hosts share seq, history and fan-out).',
  },
  {
    name: 'NS_REDIS_URL',
    field: 'redisUrl',
    parse: redisUrl,
    default: 'redis://127.0.0.1:6379',
    secret: true,
    description: 'Redis URL for NS_ENGINE=redis (redis:// or rediss://); for a Redis Cluster redis+cluster://host:port,host:port… (rediss+cluster:// with TLS), any reachable nodes as seeds. Never logged with its password.',
  },
  {
    name: 'NS_REDIS_PREFIX',
    field: 'redisPrefix',
    parse: z.string().max(64, 'must be at most 64 characters'),
    default: 'ns:',
    description: 'Key prefix for NS_ENGINE=redis.',
  },
  {
    name: 'NS_WORKERS',
    field: 'workers',
    parse: int(1, 256),
    default: '1',
    description: 'Gateway processes sharing the port (node:cluster). More than 1 requires NS_ENGINE=redis.',
  },
  {
    name: 'NS_AUTH',
    parse: oneOf(['jwt', 'none'], 'must be jwt or none').optional(),
    default: undefined,
    description: 'jwt or none. Unset = jwt when a key is configured; without a key (loopback only) anonymous clients read status and system and every protected channel stays closed. none = everything permitted (trusted networks only).',
  },
  {
    name: 'NS_JWT_SECRET',
    parse: secret.optional(),
    default: undefined,
    secret: true,
    description: 'HS256 shared secret (NetSentinel JWT_SECRET); shorter than 32 bytes is accepted with a warning. Never logged.',
  },
  {
    name: 'NS_JWT_PUBLIC_KEY_FILE',
    parse: z.string().optional(),
    default: undefined,
    description: 'PEM public key / certificate or a JWKS JSON file for verifying tokens; each key\'s algorithms follow from its type (RSA: RS256/384/512, EC: ES256/384/512 by curve, Ed25519: EdDSA) or its JWK "alg".',
  },
  {
    name: 'NS_JWT_ISSUER',
    parse: names.optional(),
    default: undefined,
    description: 'Comma list of accepted token issuers (iss). Unset = iss not checked.',
  },
  {
    name: 'NS_JWT_AUDIENCE',
    parse: names.optional(),
    default: undefined,
    description: 'Comma list of this gateway\'s audience names: a token whose aud names none of them is refused. Unset = aud not checked.',
  },
  {
    name: 'NS_JWT_REQUIRE_EXP',
    parse: bool,
    default: 'true',
    description: 'Refuse tokens without exp. Tokens with nbf or iat more than 60 s in the future, and refresh tokens (token_type other than access), are always refused.',
  },
  {
    name: 'NS_JWT_MAX_LIFETIME_S',
    field: 'jwtMaxLifetimeS',
    parse: int(60, 366 * 86_400),
    default: String(366 * 86_400),
    description: 'Longest accepted token lifetime in seconds (exp - iat, or exp - now without iat); longer tokens are refused. A user revocation (POST /v1/revocations {user}) is kept this long past its issued_before.',
  },
  {
    name: 'NS_MAX_REVOCATIONS',
    field: 'maxRevocations',
    parse: int(1, 1_000_000),
    default: '10000',
    description: 'Active revocations at most (each expires with the tokens it covers); a new one past it is refused with 429.',
  },
  {
    name: 'NS_PUBLISH_KEYS',
    field: 'publishKeys',
    parse: secretList.optional().transform((keys) => keys ?? []),
    default: undefined,
    secret: true,
    description: 'Comma list of API keys for POST /v1/publish (Authorization: Bearer <key>), shorter than 16 characters gets a warning. Unset = publishing from loopback only (or a JWT with write:events).',
  },
  {
    name: 'NS_ALLOWED_ORIGINS',
    field: 'allowedOrigins',
    parse: origins.optional().transform((o) => o ?? []),
    default: undefined,
    description: 'Comma list of browser origins allowed on /ws and /v1/publish, or * (explicit only). The gateway\'s own host (its console) always passes; requests without Origin are non-browser clients and pass.',
  },
  {
    name: 'NS_ALLOW_ANONYMOUS',
    field: 'allowAnonymous',
    parse: bool,
    default: 'true',
    description: 'Let connections without a token read permission-free channels (status, system).',
  },
  {
    name: 'NS_LOG_LEVEL',
    field: 'logLevel',
    parse: oneOf(LOG_LEVELS),
    default: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent. Credentials are redacted at every level: Authorization, Cookie and X-Api-Key headers, credential query parameters (token, access_token, api_key, … whatever their encoding) and JWT-shaped strings in URLs.',
  },
  {
    name: 'NS_LOG_FORMAT',
    field: 'logFormat',
    parse: oneOf(LOG_FORMATS).optional(),
    default: undefined,
    description: 'json or pretty. Unset = pretty (pino-pretty) when stdout is a terminal, JSON lines (pino) otherwise.',
  },
  {
    name: 'NS_WRITE_DELAY_MS',
    field: 'writeDelayMs',
    parse: decimal(0, 1000),
    default: '2',
    description: 'Coalescing window for a connection\'s outbound frames under load, in milliseconds (0 = write at once). After a quiet spell of three windows the next frames go out at once; while writing falls behind (a flush took longer than the window), the window stretches to that flush\'s duration, at most 200 ms.',
  },
  {
    name: 'NS_MAX_CONNECTIONS',
    field: 'maxConnections',
    parse: int(1, 10_000_000),
    default: '10000',
    description: 'Concurrent WebSocket connections plus HTTP requests in flight, per process.',
  },
  {
    name: 'NS_IP_MAX_CONNECTIONS',
    field: 'ipMaxConnections',
    parse: int(1, 10_000_000),
    default: '1000',
    description: 'Concurrent WebSocket connections plus HTTP requests in flight, per client IP.',
  },
  {
    name: 'NS_IP_CONNECT_RATE',
    field: 'ipConnectRate',
    parse: decimal(0.01, 1_000_000),
    default: '100',
    description: 'New WebSocket connections per client IP per second (burst twice that).',
  },
  {
    name: 'NS_TRUST_PROXY',
    field: 'trustProxy',
    parse: trustProxy,
    default: 'false',
    description: 'Proxies whose X-Forwarded-For is believed: false, true, or a comma list of addresses/CIDRs.',
  },
  {
    name: 'NS_CLIENT_MESSAGE_RATE',
    field: 'clientMessageRate',
    parse: decimal(0.01, 1_000_000),
    default: '50',
    description: 'Inbound messages per connection per second (burst twice that).',
  },
  {
    name: 'NS_MAX_MESSAGE_BYTES',
    field: 'maxMessageBytes',
    parse: int(256, 16 * 1024 * 1024),
    default: '65536',
    description: 'Largest inbound WebSocket message, in bytes.',
  },
  {
    name: 'NS_MAX_SUBSCRIPTIONS',
    field: 'maxSubscriptions',
    parse: int(1, 10_000),
    default: '64',
    description: 'Subscriptions per connection.',
  },
  {
    name: 'NS_HEARTBEAT_S',
    field: 'heartbeatS',
    parse: decimal(1, 3600),
    default: '25',
    description: 'Protocol ping interval in seconds; no pong within 10 s terminates the connection.',
  },
  {
    name: 'NS_SHUTDOWN_GRACE_S',
    field: 'shutdownGraceS',
    parse: decimal(0, 3600),
    default: '10',
    description: 'On SIGTERM/SIGINT: seconds to drain (notice, close 1001, flush) before the process exits.',
  },
  {
    name: 'NS_HANDSHAKE_TIMEOUT_S',
    field: 'handshakeTimeoutS',
    parse: decimal(0.1, 600),
    default: '10',
    description: 'Seconds a new connection has to send its request headers (HTTP or the WebSocket upgrade) and finish the upgrade checks; slower ones are closed (slowloris).',
  },
  {
    name: 'NS_REQUEST_TIMEOUT_S',
    parse: decimal(0.1, 600),
    default: '10',
    description: 'Seconds to receive a whole HTTP request, body included (a stalled upload gets 408 and its connection is closed). At least NS_HANDSHAKE_TIMEOUT_S; unset, it follows a longer NS_HANDSHAKE_TIMEOUT_S.',
  },
  {
    name: 'NS_REPLAY_BYTES_PER_S',
    field: 'replayBytesPerS',
    parse: int(1024, 1024 * 1024 * 1024),
    default: '262144',
    description: 'Bytes of replayed events (latest-per-key snapshots, history after since) one connection may draw per second, bursts of 4 s worth; a subscribe while that is spent gets rate_limited with retry_after_ms. A connection\'s first replay always goes through.',
  },
  {
    name: 'NS_PUBLISH_RATE',
    field: 'publishRate',
    parse: int(1, 1_000_000),
    default: '1000',
    description: 'POST /v1/publish requests per client per second (a batch counts once); over it: 429.',
  },
  {
    name: 'NS_PRESENCE_NOTICES',
    field: 'presenceNotices',
    parse: bool,
    default: 'false',
    description: 'Publish system.presence_joined / system.presence_left on the system channel when a user\'s first connection on this instance subscribes to a channel or its last leaves. The system channel needs no token: anyone connected then sees which users (token sub) watch which channels.',
  },
  {
    name: 'NS_PRESENCE_NOTICE_RATE',
    field: 'presenceNoticeRate',
    parse: int(1, 10_000),
    default: '20',
    description: 'Presence notices this instance publishes per second (plus one second\'s worth of burst every 10 s); the rest are dropped and counted in ns_presence_notices_dropped_total.',
  },
] as const satisfies readonly EnvVarSpec[];

type Entry = (typeof ENV_VARS)[number];

/** Names of the gateway's environment variables. */
export type EnvVarName = Entry['name'];

/** Every variable's parsed value, by name. */
export type EnvValues = { [E in Entry as E['name']]: z.output<E['parse']> };

/** The `GatewayConfig` fields filled straight from one variable (entries with `field`). */
export type EnvFields = { [E in Entry as E extends { field: infer F extends string } ? F : never]: z.output<E['parse']> };

/** Secret variables: their values never appear in messages. */
export const SECRET_VARS: ReadonlySet<EnvVarName> = new Set(ENV_VARS.filter((v) => 'secret' in v && v.secret).map((v) => v.name));
