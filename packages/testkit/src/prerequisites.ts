import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True under CI (`CI=true`, which `.ci/run` sets, as most CI services do). */
export const inCi = (): boolean => process.env.CI === 'true';

/**
 * Whether suites that need a prerequisite should run (pass it to `describe.runIf`, or negate it for
 * `skipIf`). `missing` says what is absent, or is undefined when everything is there.
 *
 * Locally a missing prerequisite skips the suites with one warning line per vitest run. Under CI
 * nothing may skip silently: the suites run anyway and fail on the missing prerequisite, so a broken
 * install shows up as failed tests rather than as a green run that tested less.
 */
export function runsWith(missing: string | undefined, suites: string): boolean {
  if (missing === undefined || inCi()) return true;
  // Every test file is its own worker; an exclusive marker per vitest run keeps this to one line.
  try {
    const safe = suites.replace(/[^A-Za-z0-9]+/g, '-');
    closeSync(openSync(join(tmpdir(), `ns-skip-${safe}-${process.ppid}`), 'wx'));
    console.warn(`${suites} skipped: ${missing} (under CI=true they would fail instead).`);
  } catch {
    // another test file already said it
  }
  return false;
}
