import { NsError, type EventType } from '@ns/contracts';
import { resolvePattern } from './event-pattern.js';

/**
 * A pure transform of an event's data (enrichment, redaction), applied once per event before it is
 * sequenced — never once per subscriber. It returns the new data; it should not mutate its input.
 */
export type EventTransform = (
  data: Record<string, unknown>,
  event: { type: EventType; id: string },
) => Record<string, unknown>;

interface Entry {
  readonly types: ReadonlySet<EventType>;
  readonly transform: EventTransform;
}

/** Ordered transforms per type pattern; the chain of each type is resolved once and cached. */
export class TransformChain {
  #entries: readonly Entry[] = [];
  readonly #byType = new Map<EventType, readonly EventTransform[]>();

  /** Appends `transform` for events matching `pattern`; returns its removal function. */
  use(pattern: string, transform: EventTransform): () => void {
    if (typeof transform !== 'function') throw new NsError('invalid_message', 'transform must be a function');
    const entry: Entry = { types: new Set(resolvePattern(pattern).types), transform };
    this.#entries = [...this.#entries, entry];
    this.#byType.clear();
    return () => {
      this.#entries = this.#entries.filter((e) => e !== entry);
      this.#byType.clear();
    };
  }

  /** True when no transform applies to `type`. */
  isEmptyFor(type: EventType): boolean {
    return this.#chain(type).length === 0;
  }

  /**
   * Runs the chain of `type` over `data`, in registration order. A transform that throws or returns
   * something other than an object fails the publish with `NsError('internal')`.
   */
  apply(type: EventType, id: string, data: Record<string, unknown>): Record<string, unknown> {
    let out = data;
    for (const transform of this.#chain(type)) {
      let next: unknown;
      try {
        next = transform(out, { type, id });
      } catch (err) {
        throw err instanceof NsError ? err : new NsError('internal', `transform for ${type} failed`, { cause: err });
      }
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new NsError('internal', `transform for ${type} must return an object`);
      }
      out = next as Record<string, unknown>;
    }
    return out;
  }

  #chain(type: EventType): readonly EventTransform[] {
    let chain = this.#byType.get(type);
    if (chain === undefined) {
      chain = this.#entries.filter((e) => e.types.has(type)).map((e) => e.transform);
      this.#byType.set(type, chain);
    }
    return chain;
  }
}
