/**
 * `@ns/contracts/support`: the two runtime conventions every package shares — the logger shape they
 * write to and a listener list that isolates listener failures. Plain TypeScript, no dependencies.
 */

/** A log method as pino has it: merge object first, then message. */
export type LogFn = (obj: object, msg?: string) => void;

/**
 * The logger every package writes to: structurally a subset of `pino.Logger`, so a pino logger (or a
 * child of one) fits as is; {@link silentLogger} discards everything.
 */
export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
}

const noop: LogFn = () => {};

/** A logger that discards everything (the default where none is given). */
export const silentLogger: Logger = Object.freeze({ error: noop, warn: noop, info: noop, debug: noop });

/** Told what a listener threw, and the arguments it was called with. */
export type ListenerFailureHandler<F extends (...args: never[]) => unknown> = (error: unknown, args: Parameters<F>) => void;

/**
 * A copy-on-write list of listeners. `add` returns its own removal; `emit` calls the listeners present
 * when it starts (one may add or remove listeners while being called) and isolates their failures:
 * a listener that throws is reported to the `onError` given at construction — never swallowed — and
 * the others still run.
 */
export class ListenerList<F extends (...args: never[]) => unknown> {
  #items: readonly F[] = [];
  readonly #onError: ListenerFailureHandler<F>;

  /** `onError` is required on purpose: a failing listener is always reported somewhere. */
  constructor(onError: ListenerFailureHandler<F>) {
    this.#onError = onError;
  }

  /** Adds `listener` (again, if already present); returns the function that removes this registration. */
  add(listener: F): () => void {
    this.#items = [...this.#items, listener];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const i = this.#items.indexOf(listener);
      if (i >= 0) this.#items = [...this.#items.slice(0, i), ...this.#items.slice(i + 1)];
    };
  }

  /** Calls every listener with `args`; a throwing one goes to `onError` (which must not throw). */
  emit(...args: Parameters<F>): void {
    for (const listener of this.#items) {
      try {
        listener(...args);
      } catch (err) {
        this.#onError(err, args);
      }
    }
  }

  /** The listeners as they are now (an immutable snapshot). */
  get snapshot(): readonly F[] {
    return this.#items;
  }

  /** How many listeners there are. */
  get size(): number {
    return this.#items.length;
  }

  /** Removes every listener. */
  clear(): void {
    this.#items = [];
  }
}
