import { createHash } from 'node:crypto';
import { NsError, type EventType, type ErrorIssue } from '@ns/contracts';

/**
 * JSON of `value` with every object's keys sorted (arrays keep their order), so two payloads that
 * differ only in key order — the same content — serialize alike. Numbers and strings are written
 * as `JSON.stringify` writes them; `undefined` members are left out, as JSON does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return canonicalJson(json.call(value));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * A digest of an event's `data`: SHA-256 of its canonical JSON, 128 bits in base64url (22 chars).
 * With the type it tells a retry of an event (same digest) from a reuse of its id for another event.
 */
export function dataDigest(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data)).digest().subarray(0, 16).toString('base64url');
}

/** One event of a batch whose id was already used for a different event. */
export interface IdConflict {
  /** Position in the batch. */
  index: number;
  id: string;
  /** The type of the event that holds the id (it may be the same type with other data). */
  heldBy: EventType;
}

/**
 * The `id_conflict` error of an append: every conflicting event as an issue (`events[3].id`), the
 * ids in `details.ids`. Nothing of the batch was stored.
 */
export function idConflictError(conflicts: readonly IdConflict[]): NsError {
  const describe = (c: IdConflict) => `id "${c.id}" was already used within the idempotency window for a different ${c.heldBy} event`;
  const issues: ErrorIssue[] = conflicts.map((c) => ({ index: c.index, path: `events[${c.index}].id`, code: 'id_conflict', message: describe(c) }));
  const first = conflicts[0] as IdConflict;
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
  return new NsError('id_conflict', `${describe(first)}${more}; use a new id for a new event; nothing was published`, {
    issues,
    details: { ids: conflicts.map((c) => c.id) },
  });
}
