import { isIP } from 'node:net';
import { z } from 'zod';
import { parseRedisTarget } from '@ns/event-bus-redis/url';
import { Secret } from './secret.js';

/**
 * Parsers for environment variables: string (or `undefined` when unset) in, typed value out. Their
 * messages say what is wrong in plain words; `loadConfig` prefixes the variable's name.
 */
export type EnvParser<T = unknown> = z.ZodType<T, string | undefined>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A whole number in `[min, max]`. */
export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);

/** A non-negative decimal number in `[min, max]`. */
export const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a number between ${min} and ${max}`);

/** true/false, 1/0, yes/no, on/off (any case). */
export const bool = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(s), 'must be true or false')
  .transform((s) => ['true', '1', 'yes', 'on'].includes(s));

/** A comma list, items trimmed, empty items dropped. */
export const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** One of `values`; the message lists them. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, message = `must be one of ${values.join(', ')}`) =>
  z.enum(values, { error: message });

export const hostname = z
  .string()
  .refine(
    (h) => isIP(h) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(h),
    'must be an IP address or a host name',
  );

export const redisUrl = z
  .string()
  .refine((s) => {
    try {
      parseRedisTarget(s);
      return true;
    } catch {
      return false;
    }
  }, 'must be a redis:// or rediss:// URL, or redis+cluster://host:port,host:port… for a Redis Cluster')
  .transform((s) => new Secret(s));

const isOrigin = (s: string): boolean => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.replace(/\/$/, '');
  } catch {
    return false;
  }
};

/** A comma list of browser origins, or `*` alone. */
export const origins = z.string().transform((s, ctx) => {
  const items = list(s);
  if (items.length === 1 && items[0] === '*') return '*' as const;
  if (items.includes('*')) {
    ctx.addIssue({ code: 'custom', message: '* must stand alone (it allows every origin)' });
    return z.NEVER;
  }
  const bad = items.find((o) => !isOrigin(o));
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

/** true, false, or a comma list of proxy addresses/CIDRs. */
export const trustProxy = z.string().transform((s, ctx) => {
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

/** A non-empty comma list of secrets. */
export const secretList = z.string().transform((s, ctx) => {
  const keys = list(s);
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'lists no key' });
    return z.NEVER;
  }
  return keys.map((k) => new Secret(k));
});

export const secret = z.string().transform((s) => new Secret(s));

/** A comma list (possibly empty). */
export const names = z.string().transform(list);
