import { CliError, EXIT } from './exit-codes.js';

/** Where an admin command talks to and with which token. */
export interface AdminTarget {
  url: string;
  /** A JWT with the `admin` permission (`--token`, `NS_GATEWAY_TOKEN`, `NS_TOKEN`); none with `NS_AUTH=none`. */
  token: string | undefined;
}

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: { path: string; message: string }[] };
}

/**
 * One request of the admin API; resolves with the JSON body of a 2xx answer. Failures become a
 * {@link CliError} with the exit code `--help` documents: 3 for 401/403, 4 unreachable or 5xx, 1 otherwise.
 */
export async function adminRequest<T>(target: AdminTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(path, target.url), { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(EXIT.UNAVAILABLE, `cannot reach ${target.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new CliError(EXIT.FAILED, `${res.status}: the answer is not JSON`);
  }
  if (res.ok) return json as T;
  const error = (json as ErrorBody | undefined)?.error;
  const message = error?.message ?? res.statusText;
  if (res.status === 401 || res.status === 403) {
    const hint = target.token === undefined ? ' (set NS_GATEWAY_TOKEN or --token to a JWT with the admin permission)' : '';
    throw new CliError(EXIT.AUTH, `${res.status}: ${message}${hint}`);
  }
  if (res.status >= 500) throw new CliError(EXIT.UNAVAILABLE, `${res.status}: ${message}`);
  const issue = error?.issues?.[0];
  throw new CliError(EXIT.FAILED, `${res.status}: ${message}${issue !== undefined && !message.includes(issue.path) ? ` (${issue.path})` : ''}`);
}

/** Unix seconds as an ISO time without milliseconds (`2026-12-03T08:50:27Z`). */
export const isoTime = (s: number): string => new Date(Math.round(s) * 1000).toISOString().replace('.000Z', 'Z');

/** Rows as aligned columns, the first row a header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}
