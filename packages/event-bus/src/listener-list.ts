/**
 * A copy-on-write list of listeners: `add` returns its own removal, and iteration goes over an
 * immutable snapshot, so a listener may add or remove listeners while being called.
 */
export class ListenerList<F> {
  #items: readonly F[] = [];

  /** Adds `listener`; returns the function that removes it. */
  add(listener: F): () => void {
    this.#items = [...this.#items, listener];
    return () => {
      this.#items = this.#items.filter((l) => l !== listener);
    };
  }

  /** The listeners as they are now. */
  get snapshot(): readonly F[] {
    return this.#items;
  }

  clear(): void {
    this.#items = [];
  }
}
