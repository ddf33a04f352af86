import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CHANNEL_NAMES, CHANNELS, hasPermission, NsError, PERMISSIONS, ROLES, type Principal } from '@ns/contracts';
import { algorithmsForPublicKey } from '@ns/ws-server';
import { SignJWT } from 'jose';
import { ConfigError, loadConfig, type GatewayConfig } from '../config.js';
import { createTokenVerifier } from '../token-verifier.js';
import { CliError, EXIT } from './exit-codes.js';

/** Options of {@link tokenCommand}. */
export interface TokenCommandOptions {
  sub: string | undefined;
  username: string | undefined;
  roles: string[];
  permissions: string[];
  /** `--ttl`: `90s`, `15m`, `1h`, `7d` or seconds; default 1h. */
  ttl: string | undefined;
  /** `--private-key`: PEM private key file (RSA, EC, Ed25519); default: sign with NS_JWT_SECRET (HS256). */
  privateKeyFile: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream;
}

/** Options of {@link checkTokenCommand}. */
export interface CheckTokenCommandOptions {
  token: string | undefined;
  json: boolean;
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream;
  now?: () => number;
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Longest `--ttl`: a year. Longer-lived credentials belong in NS_PUBLISH_KEYS, not in tokens. */
const MAX_TTL_S = 366 * 86_400;

/** Seconds of a `--ttl` value (`90s`, `15m`, `1h`, `7d`, or plain seconds). */
export function parseTtl(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = m === null ? NaN : Number(m[1]) * (TTL_UNITS[m[2] || 's'] as number);
  if (!(seconds >= 1 && seconds <= MAX_TTL_S)) throw new CliError(EXIT.USAGE, `--ttl must be a duration like 90s, 15m, 1h or 7d, at most 366d (got "${value}")`);
  return seconds;
}

function configFrom(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.USAGE, `config error: ${err.message}`);
    throw err;
  }
}

function readPrivateKey(file: string): { key: KeyObject; alg: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(EXIT.USAGE, `--private-key ${JSON.stringify(file)}: ${code?.startsWith('E') && !code.startsWith('ERR_') ? `cannot be read (${code})` : 'is not a PEM private key'}`);
  }
  // The first algorithm the matching public key verifies: RS256, PS256, ES256/384/512 by curve, EdDSA.
  try {
    return { key, alg: algorithmsForPublicKey(key)[0] as string };
  } catch (err) {
    throw new CliError(EXIT.USAGE, `--private-key ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
}

/**
 * `ns-gateway token`: mints an access token for the gateway configured by `env` — HS256 with
 * NS_JWT_SECRET, or the algorithm of `--private-key` — carrying `iss`/`aud` when NS_JWT_ISSUER /
 * NS_JWT_AUDIENCE are set (the first of each), and prints it on stdout.
 */
export async function tokenCommand(o: TokenCommandOptions): Promise<number> {
  if (o.sub === undefined || o.sub.trim() === '') throw new CliError(EXIT.USAGE, 'token needs --sub <user id>');
  const unknownRole = o.roles.find((r) => !(ROLES as readonly string[]).includes(r));
  if (unknownRole !== undefined) throw new CliError(EXIT.USAGE, `--roles: unknown role "${unknownRole}" (roles: ${ROLES.join(', ')})`);
  const unknownPermission = o.permissions.find((p) => !(PERMISSIONS as readonly string[]).includes(p));
  if (unknownPermission !== undefined) throw new CliError(EXIT.USAGE, `--permissions: unknown permission "${unknownPermission}" (permissions: ${PERMISSIONS.join(', ')})`);
  const ttlS = parseTtl(o.ttl ?? '1h');
  const config = configFrom(o.env);
  const auth = config.auth;

  let key: Uint8Array | KeyObject;
  let alg: string;
  if (o.privateKeyFile !== undefined) {
    ({ key, alg } = readPrivateKey(o.privateKeyFile));
  } else if (auth.mode === 'jwt' && auth.secret !== undefined) {
    key = new TextEncoder().encode(auth.secret.reveal());
    alg = 'HS256';
  } else {
    throw new CliError(
      EXIT.USAGE,
      auth.mode === 'jwt'
        ? 'this gateway verifies tokens with a public key (NS_JWT_PUBLIC_KEY_FILE): sign with its private key, --private-key <file>'
        : 'token needs the gateway\'s NS_JWT_SECRET (HS256) in the environment, or --private-key <file>',
    );
  }
  const claims: Record<string, unknown> = { roles: o.roles, permissions: o.permissions, token_type: 'access' };
  if (o.username !== undefined) claims.username = o.username;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject(o.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS)
    .setJti(randomUUID());
  if (auth.mode === 'jwt' && auth.issuer[0] !== undefined) jwt = jwt.setIssuer(auth.issuer[0]);
  if (auth.mode === 'jwt' && auth.audience[0] !== undefined) jwt = jwt.setAudience(auth.audience[0]);
  o.stdout.write(`${await jwt.sign(key)}\n`);
  return EXIT.OK;
}

/** Channels `principal` may subscribe to and read the history of. */
export function readableChannels(principal: Principal): string[] {
  return CHANNEL_NAMES.filter((c) => {
    const permission = CHANNELS[c].readPermission;
    return permission === null || hasPermission(principal, permission);
  });
}

const duration = (s: number): string => {
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
};

/**
 * `ns-gateway check-token <jwt>`: verifies the token with the gateway's own verifier for the
 * configuration in `env` (same key, algorithms, iss/aud/exp rules as /ws and the HTTP API) and prints
 * who it stands for, its permissions, the channels it may read and when it expires — or the reason the
 * gateway would refuse it (exit 3).
 */
export async function checkTokenCommand(o: CheckTokenCommandOptions): Promise<number> {
  const token = o.token?.trim();
  if (token === undefined || token === '') throw new CliError(EXIT.USAGE, 'check-token takes the token as its argument (or in NS_TOKEN)');
  const config = configFrom(o.env);
  const verifier = createTokenVerifier(config.auth);
  if (verifier === null) {
    throw new CliError(
      EXIT.USAGE,
      config.auth.mode === 'none'
        ? 'NS_AUTH=none: this gateway reads no tokens (every client is fully permitted)'
        : 'no JWT key configured (NS_JWT_SECRET / NS_JWT_PUBLIC_KEY_FILE): this gateway refuses every token',
    );
  }
  let result;
  try {
    result = await verifier.verify(token);
  } catch (err) {
    const reason = err instanceof NsError ? `${err.code}: ${err.message}` : `unauthorized: ${(err as Error).message}`;
    if (o.json) o.stdout.write(`${JSON.stringify({ valid: false, reason })}\n`);
    throw new CliError(EXIT.AUTH, `token refused — ${reason}`);
  }
  const { principal, expiresAt } = result;
  const channels = readableChannels(principal);
  const now = (o.now ?? Date.now)() / 1000;
  if (o.json) {
    o.stdout.write(`${JSON.stringify({ valid: true, principal, channels, publish: hasPermission(principal, 'write:events'), expires_at: expiresAt })}\n`);
    return EXIT.OK;
  }
  const expires = expiresAt === null ? 'never (no exp claim)' : `${new Date(expiresAt * 1000).toISOString()} (in ${duration(Math.max(0, Math.round(expiresAt - now)))})`;
  o.stdout.write(
    [
      'valid token',
      `  principal    ${principal.id}${principal.username === undefined ? '' : ` (${principal.username})`}`,
      `  roles        ${principal.roles.join(', ') || '(none)'}`,
      `  permissions  ${principal.permissions.join(', ') || '(none)'}`,
      `  channels     ${channels.join(', ')}`,
      `  publish      ${hasPermission(principal, 'write:events') ? 'yes (write:events)' : 'no (needs write:events)'}`,
      `  expires      ${expires}`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}
