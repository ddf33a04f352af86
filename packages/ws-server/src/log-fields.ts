/**
 * Bounds for client input in log lines. Whatever a client sends (URLs, headers, filters) reaches a
 * log line only clipped or summarised, so that the log volume a connection can cause stays small
 * however large its input: 20 anonymous clients re-subscribing with 64 KB filters wrote 38 MB/s of
 * logs when filters were logged in full.
 */

/** Longest client-supplied string written into a log line, in characters. */
export const MAX_LOGGED_CHARS = 256;

/** `value` cut to `max` characters, marked with how much was left out; `undefined` stays `undefined`. */
export function clip(value: string | undefined, max = MAX_LOGGED_CHARS): string | undefined {
  if (value === undefined || value.length <= max) return value;
  return `${value.slice(0, max)}…(+${value.length - max} chars)`;
}

/** What an info line says about a subscription filter: its fields, how many values, its JSON size. */
export interface FilterSummary {
  fields: string[];
  values: number;
  bytes: number;
}

/**
 * A size summary of a (schema-validated) subscription filter. Field names are the schema's own, so
 * they are safe to log; the values are counted, never copied.
 */
export function summarizeFilter(filter: Record<string, unknown> | undefined): FilterSummary | undefined {
  if (filter === undefined) return undefined;
  const fields = Object.keys(filter).slice(0, 16);
  let values = 0;
  for (const v of Object.values(filter)) values += Array.isArray(v) ? v.length : 1;
  return { fields, values, bytes: Buffer.byteLength(JSON.stringify(filter)) };
}

/** The filter itself for a debug line: its JSON, clipped. */
export function filterForDebug(filter: Record<string, unknown> | undefined): string | undefined {
  return filter === undefined ? undefined : clip(JSON.stringify(filter), 512);
}
