/** A log method as pino has it: merge object first, then message. */
export type LogFn = (obj: object, msg?: string) => void;

/** The logger the manager writes to: structurally a subset of `pino.Logger`. */
export interface ManagerLogger {
  debug?: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** Logger that discards everything (the default when none is given). */
export const silentLogger: ManagerLogger = { debug: noop, info: noop, warn: noop, error: noop };
