import { issuesFromZod, NsError } from '@ns/contracts';
import type { z } from 'zod';

/**
 * The 400 `invalid_message` for input a schema refused: the message names the first issue's field
 * (`<path>: <message>`, or `whole` when the input itself is wrong) and `details.issues` lists them all.
 * One shape for every route, so a client can read the field from any of them.
 */
export function invalidMessage(error: z.ZodError, o: { prefix?: string[]; whole?: string; hint?: string } = {}): NsError {
  const issues = issuesFromZod(error, o.prefix ?? []);
  const first = issues[0];
  return new NsError('invalid_message', `${first?.path || (o.whole ?? 'body')}: ${first?.message}${o.hint === undefined ? '' : `; ${o.hint}`}`, { issues });
}

/** `schema.parse(value)`, throwing {@link invalidMessage} instead of a ZodError. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, o: { prefix?: string[]; whole?: string; hint?: string } = {}): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidMessage(r.error, o);
  return r.data;
}
