import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/**
 * The variable naming the log of every gateway/CLI process the testkit spawned and how its teardown
 * ended it. `scripts/coverage.mjs` sets it and compares the log with the coverage files written, so a
 * teardown (or a setup) that stops children writing coverage shows up as a failure, not as a lower report.
 */
export const PROCESS_LOG_ENV = 'TESTKIT_PROCESS_LOG';

/** How {@link endProcess} ended a process. */
export type Ending = 'exited' | 'drained' | 'second-sigterm' | 'sigkill';

/** Options of {@link endProcess}. */
export interface EndOptions {
  /** A second SIGTERM after this long: the gateway then exits at once, skipping the rest of its drain. */
  secondSignalMs?: number;
  /** SIGKILL after this long, for a process that ignores both signals (nothing is written then). */
  killMs?: number;
}

/** Appends one line to the log {@link PROCESS_LOG_ENV} names, if set (under `npm run coverage`). */
export function logProcess(line: string): void {
  const log = process.env[PROCESS_LOG_ENV];
  // Lines under PIPE_BUF with O_APPEND: concurrent test workers never interleave them.
  if (log !== undefined && log !== '') appendFileSync(log, `${line}\n`);
}

/**
 * Ends a spawned gateway or CLI in a test's teardown as an operator would: SIGTERM, so it drains and
 * exits by itself (which is when Node writes its NODE_V8_COVERAGE; a SIGKILLed process writes none).
 * A drain still waiting on clients after `secondSignalMs` (default 3 s) gets the second SIGTERM the
 * gateway answers by exiting at once, still through `process.exit`; SIGKILL only after `killMs`
 * (default 5 s). Crash tests end processes with SIGKILL themselves.
 */
export async function endProcess(child: ChildProcess, exited: Promise<unknown>, options: EndOptions = {}): Promise<Ending> {
  const started = Date.now();
  let ending: Ending = 'exited';
  const timers: NodeJS.Timeout[] = [];
  if (child.exitCode === null && child.signalCode === null) {
    ending = 'drained';
    child.kill('SIGTERM');
    timers.push(
      setTimeout(() => {
        ending = 'second-sigterm';
        child.kill('SIGTERM');
      }, options.secondSignalMs ?? 3_000),
      setTimeout(() => {
        ending = 'sigkill';
        child.kill('SIGKILL');
      }, options.killMs ?? 5_000),
    );
  }
  await exited;
  for (const t of timers) clearTimeout(t);
  logProcess(`end ${child.pid} ${ending} ${Date.now() - started}`);
  return ending;
}
