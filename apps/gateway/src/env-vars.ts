/**
 * Every environment variable of the gateway (docs/architecture.md#configuration), with its default and a one-line description.
 * The single table behind `ns-gateway --help`, the README's operations section and `loadConfig`.
 */
export interface EnvVarDoc {
  readonly name: string;
  /** Default as an operator would write it; `undefined` = unset. */
  readonly default: string | undefined;
  readonly description: string;
}

export const ENV_VARS = [
  { name: 'NS_HOST', default: '127.0.0.1', description: 'Address to listen on. A non-loopback address requires auth (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE) or an explicit NS_AUTH=none.' },
  { name: 'NS_PORT', default: '8080', description: 'TCP port for HTTP and /ws (0 = any free port).' },
  { name: 'NS_ENGINE', default: 'memory', description: 'Event engine: memory (one process) or redis (many processes/hosts share seq, history and fan-out).' },
  { name: 'NS_REDIS_URL', default: 'redis://127.0.0.1:6379', description: 'Redis URL for NS_ENGINE=redis (redis:// or rediss://); for a Redis Cluster redis+cluster://host:port,host:port… (rediss+cluster:// with TLS), any reachable nodes as seeds. Never logged with its password.' },
  { name: 'NS_REDIS_PREFIX', default: 'ns:', description: 'Key prefix for NS_ENGINE=redis.' },
  { name: 'NS_WORKERS', default: '1', description: 'Gateway processes sharing the port (node:cluster). More than 1 requires NS_ENGINE=redis.' },
  { name: 'NS_AUTH', default: undefined, description: 'jwt or none. Unset = jwt when a key is configured; without a key (loopback only) anonymous clients read status and system and every protected channel stays closed. none = everything permitted (trusted networks only).' },
  { name: 'NS_JWT_SECRET', default: undefined, description: 'HS256 shared secret (NetSentinel JWT_SECRET); shorter than 32 bytes is accepted with a warning. Never logged.' },
  {
    name: 'NS_JWT_PUBLIC_KEY_FILE',
    default: undefined,
    description: 'PEM public key / certificate or a JWKS JSON file for verifying tokens; each key\'s algorithms follow from its type (RSA: RS256/384/512, EC: ES256/384/512 by curve, Ed25519: EdDSA) or its JWK "alg".',
  },
  { name: 'NS_JWT_ISSUER', default: undefined, description: 'Comma list of accepted token issuers (iss). Unset = iss not checked.' },
  { name: 'NS_JWT_AUDIENCE', default: undefined, description: 'Comma list of this gateway\'s audience names: a token whose aud names none of them is refused. Unset = aud not checked.' },
  { name: 'NS_JWT_REQUIRE_EXP', default: 'true', description: 'Refuse tokens without exp. Tokens with nbf or iat more than 60 s in the future, and refresh tokens (token_type other than access), are always refused.' },
  { name: 'NS_PUBLISH_KEYS', default: undefined, description: 'Comma list of API keys for POST /v1/publish (Authorization: Bearer <key>), shorter than 16 characters gets a warning. Unset = publishing from loopback only (or a JWT with write:events).' },
  { name: 'NS_ALLOWED_ORIGINS', default: undefined, description: 'Comma list of browser origins allowed on /ws and /v1/publish, or * (explicit only). The gateway\'s own host (its console) always passes; requests without Origin are non-browser clients and pass.' },
  { name: 'NS_ALLOW_ANONYMOUS', default: 'true', description: 'Let connections without a token read permission-free channels (status, system).' },
  { name: 'NS_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent. Credentials are redacted at every level: Authorization, Cookie and X-Api-Key headers, credential query parameters (token, access_token, api_key, … whatever their encoding) and JWT-shaped strings in URLs.' },
  { name: 'NS_LOG_FORMAT', default: undefined, description: 'json or pretty. Unset = pretty (pino-pretty) when stdout is a terminal, JSON lines (pino) otherwise.' },
  { name: 'NS_WRITE_DELAY_MS', default: '2', description: 'Coalescing window for a connection\'s outbound frames, in milliseconds (0 = write at once).' },
  { name: 'NS_MAX_CONNECTIONS', default: '10000', description: 'Concurrent WebSocket connections plus HTTP requests in flight, per process.' },
  { name: 'NS_IP_MAX_CONNECTIONS', default: '1000', description: 'Concurrent WebSocket connections plus HTTP requests in flight, per client IP.' },
  { name: 'NS_IP_CONNECT_RATE', default: '100', description: 'New WebSocket connections per client IP per second (burst twice that).' },
  { name: 'NS_TRUST_PROXY', default: 'false', description: 'Proxies whose X-Forwarded-For is believed: false, true, or a comma list of addresses/CIDRs.' },
  { name: 'NS_CLIENT_MESSAGE_RATE', default: '50', description: 'Inbound messages per connection per second (burst twice that).' },
  { name: 'NS_MAX_MESSAGE_BYTES', default: '65536', description: 'Largest inbound WebSocket message, in bytes.' },
  { name: 'NS_MAX_SUBSCRIPTIONS', default: '64', description: 'Subscriptions per connection.' },
  { name: 'NS_HEARTBEAT_S', default: '25', description: 'Protocol ping interval in seconds; no pong within 10 s terminates the connection.' },
  { name: 'NS_SHUTDOWN_GRACE_S', default: '10', description: 'On SIGTERM/SIGINT: seconds to drain (notice, close 1001, flush) before the process exits.' },
  {
    name: 'NS_HANDSHAKE_TIMEOUT_S',
    default: '10',
    description: 'Seconds a new connection has to send its request headers (HTTP or the WebSocket upgrade) and finish the upgrade checks; slower ones are closed (slowloris).',
  },
  {
    name: 'NS_REQUEST_TIMEOUT_S',
    default: '10',
    description: 'Seconds to receive a whole HTTP request, body included (a stalled upload gets 408 and its connection is closed). At least NS_HANDSHAKE_TIMEOUT_S; unset, it follows a longer NS_HANDSHAKE_TIMEOUT_S.',
  },
  {
    name: 'NS_REPLAY_BYTES_PER_S',
    default: '262144',
    description: 'Bytes of replayed events (latest-per-key snapshots, history after since) one connection may draw per second, bursts of 4 s worth; a subscribe while that is spent gets rate_limited with retry_after_ms. A connection\'s first replay always goes through.',
  },
  { name: 'NS_PUBLISH_RATE', default: '1000', description: 'POST /v1/publish requests per client per second (a batch counts once); over it: 429.' },
] as const satisfies readonly EnvVarDoc[];

/** Names of the gateway's environment variables. */
export type EnvVarName = (typeof ENV_VARS)[number]['name'];
