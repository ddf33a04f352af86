import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The log, beside the children's coverage files, of every gateway/CLI process the testkit spawned and
 * how the teardown ended it: `scripts/coverage.mjs` compares it with the coverage files written, so
 * a teardown that stops writing coverage shows up as a figure instead of as a silently lower report.
 */
export const PROCESS_LOG = 'testkit-processes.log';

/** How {@link endProcess} ended a process. */
export type Ending = 'exited' | 'drained' | 'second-sigterm' | 'sigkill';

/** Options of {@link endProcess}. */
export interface EndOptions {
  /** A second SIGTERM after this long: the gateway then exits at once, skipping the rest of its drain. */
  secondSignalMs?: number;
  /** SIGKILL after this long, for a process that ignores both signals (nothing is written then). */
  killMs?: number;
}

/** Appends one line to {@link PROCESS_LOG}, only under `npm run coverage` (NODE_V8_COVERAGE set). */
export function logProcess(line: string): void {
  const dir = process.env.NODE_V8_COVERAGE;
  // Lines under PIPE_BUF with O_APPEND: concurrent test workers never interleave them.
  if (dir !== undefined && dir !== '') appendFileSync(join(dir, PROCESS_LOG), `${line}\n`);
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
