import { EVENT_TYPE_NAMES, type EventType } from '@ns/contracts';

/**
 * Routes event types to subscriptions through an index per event type (each type belongs to one
 * channel), so a dispatch touches only the subscriptions that want that type and never scans the
 * handlers of other channels. Lists are copy-on-write: a dispatch iterating one is unaffected by
 * subscriptions added or removed meanwhile (it sees a snapshot).
 */
export class PatternRouter<S> {
  readonly #byType = new Map<EventType, readonly S[]>(EVENT_TYPE_NAMES.map((t) => [t, []]));
  #size = 0;

  /** Subscriptions registered (each counted once, whatever its pattern). */
  get size(): number {
    return this.#size;
  }

  /** Registers `subscription` for `types`; returns its removal function (idempotent). */
  add(types: readonly EventType[], subscription: S): () => void {
    for (const t of types) this.#byType.set(t, [...this.get(t), subscription]);
    this.#size++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#size--;
      for (const t of types) this.#byType.set(t, this.get(t).filter((s) => s !== subscription));
    };
  }

  /** The current (immutable) list of subscriptions of `type`, in registration order. */
  get(type: EventType): readonly S[] {
    return this.#byType.get(type) ?? [];
  }

  clear(): void {
    for (const t of this.#byType.keys()) this.#byType.set(t, []);
    this.#size = 0;
  }
}
