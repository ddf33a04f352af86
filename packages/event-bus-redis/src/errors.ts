import { toNsError, type NsError, type UnknownOutcomeDetails } from '@ns/contracts';

/** ioredis's rejection of a command whose reply did not come within `commandTimeout`. */
export function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

/** A failed read or heads call as the engine reports it: `unavailable`, naming what failed and why. */
export function unavailable(what: string, err: unknown): NsError {
  return toNsError(err, { code: 'unavailable', message: `redis engine ${what} failed` });
}

/**
 * A failed append: the script was sent, so it may have run (or run later, once a stopped Redis
 * resumes). Every id is recorded by it, so a retry with these ids is answered duplicate for what was
 * stored: `unavailable` with `details: { outcome: 'unknown', ids }`.
 */
export function unknownOutcome(ids: readonly string[], err: unknown): NsError {
  const details: UnknownOutcomeDetails = { outcome: 'unknown', ids: [...ids] };
  return toNsError(err, {
    code: 'unavailable',
    message: (reason) =>
      `redis engine append failed (${reason}); the events may or may not have been stored: publish them again with the same ids (details.ids) — what was stored is answered duplicate, never delivered twice`,
    details,
  });
}
