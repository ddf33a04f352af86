/** A listener of one event of an {@link Emitter}. */
export type Listener<T> = (payload: T) => void;

/** Called with whatever a listener threw; the remaining listeners still run. */
export type ListenerErrorHandler<Events> = (error: unknown, event: keyof Events) => void;

interface Registration {
  readonly fn: Listener<never>;
}

/**
 * A small typed event emitter (mitt/emittery style): `on()` returns its own `off`, `emit()` iterates a
 * snapshot of the listeners — one added during a dispatch waits for the next event, one removed during
 * it is skipped (as `EventTarget` does) — and one failing listener never stops the others.
 *
 * Failures go to `onListenerError`; without one, they are collected and rethrown as one
 * `AggregateError` after every listener has run.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Registration>>();
  readonly #onListenerError: ListenerErrorHandler<Events> | undefined;

  constructor(options: { onListenerError?: ListenerErrorHandler<Events> } = {}) {
    this.#onListenerError = options.onListenerError;
  }

  /** Adds a listener; returns the function that removes it (calling it twice is harmless). */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    // A fresh registration object per call, so the same function added twice is removed once per off().
    const registration: Registration = { fn: listener as Listener<never> };
    set.add(registration);
    return () => {
      set.delete(registration);
    };
  }

  /** Calls every listener of `event` registered when the call starts. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    let errors: unknown[] | undefined;
    for (const registration of [...set]) {
      if (!set.has(registration)) continue; // removed by an earlier listener of this dispatch
      try {
        (registration.fn as Listener<Events[K]>)(payload);
      } catch (err) {
        if (this.#onListenerError !== undefined) this.#onListenerError(err, event);
        else (errors ??= []).push(err);
      }
    }
    if (errors !== undefined) {
      throw new AggregateError(errors, `${errors.length} listener(s) of "${String(event)}" failed`);
    }
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Removes every listener of every event. */
  clear(): void {
    this.#listeners.clear();
  }
}
