import { createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmsForJwks, algorithmsForPublicKey } from '@ns/ws-server';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { unknownVariableWarnings } from './env-check.js';
import { ENV_VARS, type EnvVarName } from './env-vars.js';
import { parseRedisTarget } from '@ns/event-bus-redis/url';
import { isLoopbackHost } from './loopback.js';
import { Secret } from './secret.js';

/**
 * How connections and requests are authenticated:
 * - `jwt`: tokens verified with a secret or public key; anonymous access per `allowAnonymous`;
 * - `none`: `NS_AUTH=none`, every connection fully permitted (trusted networks only);
 * - `local`: the default on a loopback address when no key is configured — like `none`, but only
 *   reachable from this machine (the same posture as Redis' protected mode), announced at start.
 */
export type AuthConfig =
  | ({ mode: 'jwt'; secret: Secret; publicKey?: undefined } & TokenChecks)
  | ({ mode: 'jwt'; secret?: undefined; publicKey: JwtPublicKey } & TokenChecks)
  | { mode: 'none' }
  | { mode: 'local' };

/** Claim checks on every token besides its signature (`NS_JWT_ISSUER`, `NS_JWT_AUDIENCE`, `NS_JWT_REQUIRE_EXP`). */
export interface TokenChecks {
  /** Accepted `iss` values; empty = not checked. */
  issuer: string[];
  /** This gateway's names: a token's `aud` must hold one; empty = not checked. */
  audience: string[];
  /** Refuse tokens without `exp`. */
  requireExp: boolean;
}

/** A public key read from `NS_JWT_PUBLIC_KEY_FILE`, with the algorithms it verifies (from the key itself). */
export type JwtPublicKey =
  | { kind: 'pem'; file: string; pem: string; algorithms: string[] }
  | { kind: 'jwks'; file: string; jwks: { keys: object[] }; algorithms: string[] };

/** The validated configuration of one gateway process. */
export interface GatewayConfig {
  host: string;
  port: number;
  engine: 'memory' | 'redis';
  redisUrl: Secret;
  redisPrefix: string;
  workers: number;
  auth: AuthConfig;
  /** API keys for `POST /v1/publish`; empty = loopback-only publishing (or a JWT with write:events). */
  publishKeys: Secret[];
  /** Browser origins allowed besides the gateway's own host (same-origin always passes). */
  allowedOrigins: string[] | '*';
  allowAnonymous: boolean;
  logLevel: LogLevel;
  /** `NS_LOG_FORMAT`; unset = pretty on a terminal, JSON otherwise (see `createLogger`). */
  logFormat: LogFormat | undefined;
  writeDelayMs: number;
  maxConnections: number;
  ipMaxConnections: number;
  ipConnectRate: number;
  trustProxy: boolean | string[];
  clientMessageRate: number;
  maxMessageBytes: number;
  maxSubscriptions: number;
  heartbeatS: number;
  shutdownGraceS: number;
  /** Seconds to complete the request headers / WebSocket upgrade (`NS_HANDSHAKE_TIMEOUT_S`). */
  handshakeTimeoutS: number;
  /** Seconds to receive a whole HTTP request, body included (`NS_REQUEST_TIMEOUT_S`). */
  requestTimeoutS: number;
  /** Bytes of replayed events per connection per second (`NS_REPLAY_BYTES_PER_S`). */
  replayBytesPerS: number;
  publishRate: number;
  /**
   * Weak but usable settings, shown in the start banner. A short NS_JWT_SECRET is only warned about:
   * it is NetSentinel's existing secret, which the gateway must accept to verify its tokens.
   */
  warnings: string[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A configuration problem, naming the variable. `message` is the one line printed before exit 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: EnvVarName;

  constructor(variable: EnvVarName, problem: string) {
    super(`${variable}: ${problem}`);
    this.variable = variable;
  }
}

// ---------------------------------------------------------------------------------------------------
// Per-variable parsers: string in, typed value out; the message says what is wrong in plain words.

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);

const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a number between ${min} and ${max}`);

const bool = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(s), 'must be true or false')
  .transform((s) => ['true', '1', 'yes', 'on'].includes(s));

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

const hostname = z
  .string()
  .refine(
    (h) => isIP(h) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(h),
    'must be an IP address or a host name',
  );

const redisUrl = z.string().refine((s) => {
  try {
    parseRedisTarget(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL, or redis+cluster://host:port,host:port… for a Redis Cluster');

const origin = (s: string): boolean => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.replace(/\/$/, '');
  } catch {
    return false;
  }
};

const origins = z.string().transform((s, ctx) => {
  const items = list(s);
  if (items.length === 1 && items[0] === '*') return '*' as const;
  if (items.includes('*')) {
    ctx.addIssue({ code: 'custom', message: '* must stand alone (it allows every origin)' });
    return z.NEVER;
  }
  const bad = items.find((o) => !origin(o));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad}" is not an origin like https://console.example.com (scheme, host, optional port, no path)` });
    return z.NEVER;
  }
  return items.map((o) => o.replace(/\/$/, ''));
});

const isCidrOrIp = (s: string): boolean => {
  const [ip, bits, ...rest] = s.split('/');
  if (ip === undefined || rest.length > 0) return false;
  const v = isIP(ip);
  if (v === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (v === 4 ? 32 : 128);
};

const trustProxy = z.string().transform((s, ctx) => {
  const lower = s.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  const items = list(s);
  const bad = items.find((x) => !isCidrOrIp(x));
  if (bad !== undefined || items.length === 0) {
    ctx.addIssue({ code: 'custom', message: `must be true, false or a comma list of proxy addresses/CIDRs${bad === undefined ? '' : ` ("${bad}" is neither)`}` });
    return z.NEVER;
  }
  return items;
});

const publishKeys = z.string().transform((s, ctx) => {
  const keys = list(s);
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'lists no key' });
    return z.NEVER;
  }
  return keys.map((k) => new Secret(k));
});

const jwtSecret = z.string().transform((s) => new Secret(s));

/** Shortest publish key and JWT secret accepted without a warning. */
const MIN_PUBLISH_KEY_CHARS = 16;
// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
const MIN_JWT_SECRET_BYTES = 32;

const PARSERS = {
  NS_HOST: hostname,
  NS_PORT: int(0, 65535),
  NS_ENGINE: z.enum(['memory', 'redis'], { error: 'must be memory or redis' }),
  NS_REDIS_URL: redisUrl.transform((s) => new Secret(s)),
  NS_REDIS_PREFIX: z.string().max(64, 'must be at most 64 characters'),
  NS_WORKERS: int(1, 256),
  NS_AUTH: z.enum(['jwt', 'none'], { error: 'must be jwt or none' }).optional(),
  NS_JWT_SECRET: jwtSecret.optional(),
  NS_JWT_PUBLIC_KEY_FILE: z.string().optional(),
  NS_JWT_ISSUER: z.string().transform(list).optional(),
  NS_JWT_AUDIENCE: z.string().transform(list).optional(),
  NS_JWT_REQUIRE_EXP: bool,
  NS_PUBLISH_KEYS: publishKeys.optional(),
  NS_ALLOWED_ORIGINS: origins.optional(),
  NS_ALLOW_ANONYMOUS: bool,
  NS_LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  NS_LOG_FORMAT: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
  NS_WRITE_DELAY_MS: decimal(0, 1000),
  NS_MAX_CONNECTIONS: int(1, 10_000_000),
  NS_IP_MAX_CONNECTIONS: int(1, 10_000_000),
  NS_IP_CONNECT_RATE: decimal(0.01, 1_000_000),
  NS_TRUST_PROXY: trustProxy,
  NS_CLIENT_MESSAGE_RATE: decimal(0.01, 1_000_000),
  NS_MAX_MESSAGE_BYTES: int(256, 16 * 1024 * 1024),
  NS_MAX_SUBSCRIPTIONS: int(1, 10_000),
  NS_HEARTBEAT_S: decimal(1, 3600),
  NS_SHUTDOWN_GRACE_S: decimal(0, 3600),
  NS_HANDSHAKE_TIMEOUT_S: decimal(0.1, 600),
  NS_REQUEST_TIMEOUT_S: decimal(0.1, 600),
  NS_REPLAY_BYTES_PER_S: int(1024, 1024 * 1024 * 1024),
  NS_PUBLISH_RATE: int(1, 1_000_000),
} satisfies Record<EnvVarName, z.ZodType<unknown, string | undefined>>;

type Parsed = { [K in EnvVarName]: z.output<(typeof PARSERS)[K]> };

/** Secret variables: their values never appear in messages. */
export const SECRET_VARS: ReadonlySet<EnvVarName> = new Set(['NS_JWT_SECRET', 'NS_PUBLISH_KEYS', 'NS_REDIS_URL']);

function parseVariables(env: Readonly<Record<string, string | undefined>>): Parsed {
  const out: Record<string, unknown> = {};
  for (const spec of ENV_VARS) {
    // An empty value (`NS_X=` in a compose file) means "unset".
    const raw = env[spec.name]?.trim() || undefined;
    const input = raw ?? spec.default;
    const result = (PARSERS[spec.name] as z.ZodType<unknown, string | undefined>).safeParse(input);
    if (!result.success) {
      const problem = result.error.issues[0]?.message ?? 'invalid value';
      // Quote the offending value (shortened) unless it is a secret.
      const shown = SECRET_VARS.has(spec.name) || raw === undefined ? '' : `${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} `;
      throw new ConfigError(spec.name, `${shown}${problem}`);
    }
    out[spec.name] = result.data;
  }
  return out as Parsed;
}

function readPublicKey(file: string): JwtPublicKey {
  const fail = (problem: string) => new ConfigError('NS_JWT_PUBLIC_KEY_FILE', `${JSON.stringify(file)} ${problem}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.trimStart().startsWith('{')) {
    let jwks: unknown;
    try {
      jwks = JSON.parse(text);
    } catch {
      throw fail('is neither a PEM key nor valid JWKS JSON');
    }
    const keys = (jwks as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) throw fail('is JSON but not a JWKS ({"keys": [...]})');
    let algorithms: string[];
    try {
      algorithms = algorithmsForJwks({ keys });
    } catch (err) {
      throw fail(`is a JWKS with an unusable key: ${(err as Error).message}`);
    }
    return { kind: 'jwks', file, jwks: { keys: keys as object[] }, algorithms };
  }
  if (/PRIVATE KEY-----/.test(text)) throw fail('holds a private key; give the gateway the public key only');
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw fail('is not a PEM public key or certificate');
  }
  let algorithms: string[];
  try {
    algorithms = algorithmsForPublicKey(key);
  } catch (err) {
    throw fail(`holds an unusable key: ${(err as Error).message}`);
  }
  return { kind: 'pem', file, pem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithms };
}

function resolveAuth(v: Parsed): AuthConfig {
  if (v.NS_AUTH === 'none') return { mode: 'none' };
  if (v.NS_JWT_SECRET !== undefined && v.NS_JWT_PUBLIC_KEY_FILE !== undefined) {
    throw new ConfigError('NS_JWT_PUBLIC_KEY_FILE', 'set either NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE, not both');
  }
  const checks: TokenChecks = { issuer: v.NS_JWT_ISSUER ?? [], audience: v.NS_JWT_AUDIENCE ?? [], requireExp: v.NS_JWT_REQUIRE_EXP };
  if (v.NS_JWT_SECRET !== undefined) return { mode: 'jwt', secret: v.NS_JWT_SECRET, ...checks };
  if (v.NS_JWT_PUBLIC_KEY_FILE !== undefined) return { mode: 'jwt', publicKey: readPublicKey(v.NS_JWT_PUBLIC_KEY_FILE), ...checks };
  if (v.NS_AUTH === 'jwt') {
    throw new ConfigError('NS_AUTH', 'NS_AUTH=jwt requires NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE');
  }
  if (!isLoopbackHost(v.NS_HOST)) {
    throw new ConfigError(
      'NS_HOST',
      `refusing to listen on ${v.NS_HOST} without auth: set NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE (or NS_AUTH=none for a trusted network)`,
    );
  }
  return { mode: 'local' };
}

/**
 * Reads and validates the gateway's configuration from `env` (docs/architecture.md#configuration). Throws a {@link ConfigError}
 * naming the first bad variable; never includes a secret's value in the message.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  const v = parseVariables(env);
  const auth = resolveAuth(v);
  const warnings: string[] = unknownVariableWarnings(env);
  if (v.NS_JWT_SECRET !== undefined && Buffer.byteLength(v.NS_JWT_SECRET.reveal()) < MIN_JWT_SECRET_BYTES) {
    warnings.push(`NS_JWT_SECRET is shorter than ${MIN_JWT_SECRET_BYTES} bytes (RFC 7518 §3.2): tokens signed with it can be brute-forced; rotate it (e.g. \`openssl rand -hex 32\`)`);
  }
  if ((v.NS_PUBLISH_KEYS ?? []).some((k) => k.reveal().length < MIN_PUBLISH_KEY_CHARS)) {
    warnings.push(`NS_PUBLISH_KEYS holds a key shorter than ${MIN_PUBLISH_KEY_CHARS} characters: use long random keys (e.g. \`openssl rand -hex 24\`)`);
  }
  // Unset, it follows a longer handshake timeout, so raising NS_HANDSHAKE_TIMEOUT_S alone keeps working.
  const requestTimeoutS = env.NS_REQUEST_TIMEOUT_S?.trim() ? v.NS_REQUEST_TIMEOUT_S : Math.max(v.NS_REQUEST_TIMEOUT_S, v.NS_HANDSHAKE_TIMEOUT_S);
  if (requestTimeoutS < v.NS_HANDSHAKE_TIMEOUT_S) {
    // Node requires it: the whole request cannot have less time than its headers.
    throw new ConfigError('NS_REQUEST_TIMEOUT_S', `${v.NS_REQUEST_TIMEOUT_S} s is shorter than NS_HANDSHAKE_TIMEOUT_S (${v.NS_HANDSHAKE_TIMEOUT_S} s), the time allowed for the headers alone`);
  }
  if (v.NS_WORKERS > 1 && v.NS_ENGINE === 'memory') {
    throw new ConfigError('NS_WORKERS', `${v.NS_WORKERS} workers need a shared engine: set NS_ENGINE=redis (the memory engine lives in one process)`);
  }
  return {
    host: v.NS_HOST,
    port: v.NS_PORT,
    engine: v.NS_ENGINE,
    redisUrl: v.NS_REDIS_URL,
    redisPrefix: v.NS_REDIS_PREFIX,
    workers: v.NS_WORKERS,
    auth,
    publishKeys: v.NS_PUBLISH_KEYS ?? [],
    allowedOrigins: v.NS_ALLOWED_ORIGINS ?? [],
    allowAnonymous: v.NS_ALLOW_ANONYMOUS,
    logLevel: v.NS_LOG_LEVEL,
    logFormat: v.NS_LOG_FORMAT,
    writeDelayMs: v.NS_WRITE_DELAY_MS,
    maxConnections: v.NS_MAX_CONNECTIONS,
    ipMaxConnections: v.NS_IP_MAX_CONNECTIONS,
    ipConnectRate: v.NS_IP_CONNECT_RATE,
    trustProxy: v.NS_TRUST_PROXY,
    clientMessageRate: v.NS_CLIENT_MESSAGE_RATE,
    maxMessageBytes: v.NS_MAX_MESSAGE_BYTES,
    maxSubscriptions: v.NS_MAX_SUBSCRIPTIONS,
    heartbeatS: v.NS_HEARTBEAT_S,
    shutdownGraceS: v.NS_SHUTDOWN_GRACE_S,
    handshakeTimeoutS: v.NS_HANDSHAKE_TIMEOUT_S,
    requestTimeoutS,
    replayBytesPerS: v.NS_REPLAY_BYTES_PER_S,
    publishRate: v.NS_PUBLISH_RATE,
    warnings,
  };
}
