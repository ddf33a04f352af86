import type { Logger } from 'pino';

/** The IPC message a cluster primary sends its workers to make them drain (see `cli/workers.ts`). */
export const DRAIN_MESSAGE = { type: 'ns-gateway:drain' } as const;

const isDrainMessage = (m: unknown): boolean =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === DRAIN_MESSAGE.type;

/** What {@link handleShutdownSignals} drains. */
export interface Drainable {
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options of {@link handleShutdownSignals}. */
export interface ShutdownOptions {
  graceMs: number;
  logger: Logger;
  /** Ends the process; injectable for tests. Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT → graceful drain (readiness false, notice, close 1001, flush) and exit 0 within the
 * grace period. If draining overruns it, or a second signal arrives, the process exits at once with a
 * non-zero code, so an orchestrator's own kill timeout is never what ends it. In a cluster worker,
 * the primary's {@link DRAIN_MESSAGE} starts the same drain, but never counts as a second signal (a
 * Ctrl-C reaches both the primary and its workers).
 */
export function handleShutdownSignals(target: Drainable, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining = false;
  let signalled = false;
  const drain = (why: string) => {
    draining = true;
    options.logger.info({ signal: why, grace_ms: options.graceMs }, 'shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ grace_ms: options.graceMs }, 'drain overran the grace period; exiting');
      exit(1);
    }, options.graceMs);
    deadline.unref();
    target.close({ graceMs: options.graceMs }).then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        options.logger.error({ err }, 'drain failed');
        exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // The primary's request and a Ctrl-C reach a worker in either order: only a repeated signal escalates.
    if (signalled) {
      options.logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    signalled = true;
    if (!draining) drain(signal);
  };
  const onMessage = (message: unknown) => {
    if (isDrainMessage(message) && !draining) drain('primary');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Only with an IPC channel (a cluster worker, or a forked child): a listener would otherwise be inert.
  const ipc = process.channel !== undefined;
  if (ipc) process.on('message', onMessage);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (ipc) process.off('message', onMessage);
  };
}
