import { ConfigError, loadConfig, type GatewayConfig } from '../config.js';
import { ENV_VARS, SECRET_VARS, type EnvVarName } from '../env-vars.js';
import { CliError, EXIT } from './exit-codes.js';

/** Options of {@link checkConfigCommand}. */
export interface CheckConfigCommandOptions {
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream;
}

/** A secret variable's value as check-config shows it: its shape, never its content. */
export function maskSecret(name: EnvVarName, value: string): string {
  if (name === 'NS_REDIS_URL') {
    try {
      const url = new URL(value);
      if (url.username !== '' || url.password !== '') {
        url.username = url.username === '' ? '' : '***';
        url.password = url.password === '' ? '' : '***';
      }
      return url.toString().replace(/\/$/, '');
    } catch {
      return '***';
    }
  }
  if (name === 'NS_PUBLISH_KEYS') {
    const n = value.split(',').filter((k) => k.trim() !== '').length;
    return `*** (${n} key${n === 1 ? '' : 's'})`;
  }
  return `*** (${Buffer.byteLength(value)} bytes)`;
}

function authSummary(config: GatewayConfig): string {
  const auth = config.auth;
  switch (auth.mode) {
    case 'none':
      return 'none — every client may read and publish everything';
    case 'local':
      return 'local — no JWT key: anonymous clients read status and system, protected channels closed (loopback only)';
    case 'jwt': {
      const key = auth.secret !== undefined ? 'HS256 secret' : `public key ${auth.publicKey.file} (${auth.publicKey.kind})`;
      const rules = [
        auth.issuer.length > 0 ? `iss ∈ {${auth.issuer.join(', ')}}` : 'iss not checked',
        auth.audience.length > 0 ? `aud ∈ {${auth.audience.join(', ')}}` : 'aud not checked',
        auth.requireExp ? 'exp required' : 'exp optional',
      ];
      return `jwt — ${key}; ${rules.join(', ')}`;
    }
  }
}

/** Loads the gateway configuration for a CLI command; a bad variable becomes a usage error (exit 2). */
export function loadCliConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.USAGE, `config error: ${err.message}`);
    throw err;
  }
}

/**
 * `ns-gateway check-config`: validates the environment exactly as `start` would (without listening)
 * and prints the effective configuration — every variable's value and whether it was set or is the
 * default, secrets masked — then the warnings `start` would show. Exit 0 when the gateway would start,
 * 2 (with the one-line reason) when it would refuse.
 */
export function checkConfigCommand(o: CheckConfigCommandOptions): number {
  const config = loadCliConfig(o.env);
  const lines = ['configuration valid; effective values ([default] when not set):'];
  for (const spec of ENV_VARS) {
    const raw = o.env[spec.name]?.trim() || undefined;
    const value = raw ?? spec.default;
    const shown = value === undefined ? '(unset)' : SECRET_VARS.has(spec.name) ? maskSecret(spec.name, value) : value;
    lines.push(`  ${spec.name.padEnd(24)} ${shown}${raw === undefined ? ' [default]' : ''}`);
  }
  lines.push(`  ${'auth'.padEnd(24)} ${authSummary(config)}`);
  for (const w of config.warnings) lines.push(`WARNING ${w}`);
  o.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}
