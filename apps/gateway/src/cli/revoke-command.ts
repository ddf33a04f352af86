import type { Revocation } from '@ns/contracts';
import { adminRequest, isoTime, type AdminTarget } from './admin-http.js';
import { CliError, EXIT } from './exit-codes.js';

/** Options of {@link revokeCommand}. */
export interface RevokeOptions extends AdminTarget {
  jti: string | undefined;
  user: string | undefined;
  /** `--expires-at` (with `--jti`): the token's `exp`. */
  expiresAt: string | undefined;
  /** `--before` (with `--user`): revoke tokens issued before this; default now. */
  before: string | undefined;
  json: boolean;
  stdout: NodeJS.WritableStream;
}

/** Unix seconds from `value`: a number of seconds, or an ISO 8601 time (`2026-12-03T10:00:00Z`). */
export function parseTime(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000;
  if (!Number.isFinite(n) || n > 1e11) throw new CliError(EXIT.USAGE, `--${option} must be Unix seconds or an ISO 8601 time like 2026-12-03T10:00:00Z (got "${value.slice(0, 64)}")`);
  return n;
}

/**
 * `ns-gateway revoke --jti <id> [--expires-at <time>]` or `--user <user> [--before <time>]`:
 * `POST /v1/revocations` (docs/protocol.md#revocation) with an admin token; prints the record.
 */
export async function revokeCommand(o: RevokeOptions): Promise<number> {
  if ((o.jti === undefined) === (o.user === undefined)) throw new CliError(EXIT.USAGE, 'revoke takes exactly one of --jti <token id> or --user <user>');
  if (o.jti !== undefined && o.before !== undefined) throw new CliError(EXIT.USAGE, '--before goes with --user (tokens of the user issued before a time)');
  if (o.user !== undefined && o.expiresAt !== undefined) throw new CliError(EXIT.USAGE, '--expires-at goes with --jti (the token\'s exp)');
  const expiresAt = parseTime('expires-at', o.expiresAt);
  const before = parseTime('before', o.before);
  const body =
    o.jti !== undefined
      ? { jti: o.jti, ...(expiresAt !== undefined && { expires_at: expiresAt }) }
      : { user: o.user as string, ...(before !== undefined && { issued_before: before }) };
  const record = await adminRequest<Revocation>(o, 'POST', '/v1/revocations', body);
  if (o.json) {
    o.stdout.write(`${JSON.stringify(record)}\n`);
    return EXIT.OK;
  }
  const what = 'jti' in record ? `token ${record.jti}` : `tokens of ${record.user} issued before ${isoTime(record.issued_before)}`;
  o.stdout.write(`revoked ${what}; refused on every instance until ${isoTime(record.expires_at)}\n`);
  return EXIT.OK;
}
