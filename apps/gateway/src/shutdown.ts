import type { Logger } from 'pino';

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
 * non-zero code, so an orchestrator's own kill timeout is never what ends it.
 */
export function handleShutdownSignals(target: Drainable, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      options.logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    draining = true;
    options.logger.info({ signal, grace_ms: options.graceMs }, 'shutting down');
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
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
