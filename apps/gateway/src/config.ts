import { createPublicKey, type KeyObject } from 'node:crypto';
import { algorithmsForJwks, algorithmsForPublicKey } from '@ns/ws-server';
import { readFileSync } from 'node:fs';
import { unknownVariableWarnings } from './env-check.js';
import type { EnvParser } from './env-parsers.js';
import { ENV_VARS, SECRET_VARS, type EnvFields, type EnvValues, type EnvVarName } from './env-vars.js';
import { isLoopbackHost } from './loopback.js';
import type { Secret } from './secret.js';

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './env-parsers.js';

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

/**
 * The validated configuration of one gateway process: a field per variable with a `field` in
 * `ENV_VARS` (see its description there), plus what `loadConfig` derives from several variables.
 */
export type GatewayConfig = EnvFields & {
  auth: AuthConfig;
  /** Seconds to receive a whole HTTP request, body included (`NS_REQUEST_TIMEOUT_S`, at least the handshake timeout). */
  requestTimeoutS: number;
  /**
   * Weak but usable settings, shown in the start banner. A short NS_JWT_SECRET is only warned about:
   * it is NetSentinel's existing secret, which the gateway must accept to verify its tokens.
   */
  warnings: string[];
};

/** A configuration problem, naming the variable. `message` is the one line printed before exit 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: EnvVarName;

  constructor(variable: EnvVarName, problem: string) {
    super(`${variable}: ${problem}`);
    this.variable = variable;
  }
}

/** Shortest publish key and JWT secret accepted without a warning. */
const MIN_PUBLISH_KEY_CHARS = 16;
// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
const MIN_JWT_SECRET_BYTES = 32;

function parseVariables(env: Readonly<Record<string, string | undefined>>): { values: EnvValues; fields: EnvFields } {
  const values: Record<string, unknown> = {};
  const fields: Record<string, unknown> = {};
  for (const spec of ENV_VARS) {
    // An empty value (`NS_X=` in a compose file) means "unset".
    const raw = env[spec.name]?.trim() || undefined;
    const input = raw ?? spec.default;
    const result = (spec.parse as EnvParser).safeParse(input);
    if (!result.success) {
      const problem = result.error.issues[0]?.message ?? 'invalid value';
      // Quote the offending value (shortened) unless it is a secret.
      const shown = SECRET_VARS.has(spec.name) || raw === undefined ? '' : `${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)} `;
      throw new ConfigError(spec.name, `${shown}${problem}`);
    }
    values[spec.name] = result.data;
    if ('field' in spec) fields[spec.field] = result.data;
  }
  return { values: values as EnvValues, fields: fields as EnvFields };
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

function resolveAuth(v: EnvValues): AuthConfig {
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
  const { values: v, fields } = parseVariables(env);
  const auth = resolveAuth(v);
  const warnings: string[] = unknownVariableWarnings(env);
  if (v.NS_JWT_SECRET !== undefined && Buffer.byteLength(v.NS_JWT_SECRET.reveal()) < MIN_JWT_SECRET_BYTES) {
    warnings.push(`NS_JWT_SECRET is shorter than ${MIN_JWT_SECRET_BYTES} bytes (RFC 7518 §3.2): tokens signed with it can be brute-forced; rotate it (e.g. \`openssl rand -hex 32\`)`);
  }
  if (v.NS_PUBLISH_KEYS.some((k) => k.reveal().length < MIN_PUBLISH_KEY_CHARS)) {
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
    ...fields,
    auth,
    requestTimeoutS,
    warnings,
  };
}
