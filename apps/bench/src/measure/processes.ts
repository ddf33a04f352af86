import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { BENCH_DIR } from '../paths.js';

/**
 * Every child process the bench starts, so that all of them are killed by PID at the end — also when
 * the bench fails or is interrupted. Nothing is ever killed by name: other work shares the machine.
 */
const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** `child_process.spawn`, registered for cleanup. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

/** `child_process.fork` of a TypeScript module (run through tsx), registered for cleanup. */
export function forkTracked(modulePath: string, args: readonly string[] = [], options: ForkOptions = {}): ChildProcess {
  // cwd: `--import tsx` resolves from there.
  return track(fork(modulePath, args, { execArgv: ['--import', 'tsx'], cwd: BENCH_DIR, ...options }));
}

/** Extra PIDs to kill at exit (e.g. cluster workers found under a gateway primary). */
const extraPids = new Set<number>();
export function trackPid(pid: number): void {
  extraPids.add(pid);
}

/** SIGKILL every tracked process still alive. Synchronous, so it can run in an 'exit' handler. */
export function killAll(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const pid of extraPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  extraPids.clear();
}

/** Resolves when `child` has exited; SIGTERM first, SIGKILL (by PID) after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

let installed = false;
/** Kill every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}
