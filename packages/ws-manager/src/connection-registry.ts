import type { Connection } from './connection.js';

/** Every live connection of a manager, by id. */
export class ConnectionRegistry {
  readonly #byId = new Map<string, Connection>();

  get size(): number {
    return this.#byId.size;
  }

  add(connection: Connection): void {
    if (this.#byId.has(connection.id)) throw new Error(`duplicate connection id ${connection.id}`);
    this.#byId.set(connection.id, connection);
  }

  get(id: string): Connection | undefined {
    return this.#byId.get(id);
  }

  delete(connection: Connection): boolean {
    return this.#byId.get(connection.id) === connection && this.#byId.delete(connection.id);
  }

  values(): IterableIterator<Connection> {
    return this.#byId.values();
  }

  [Symbol.iterator](): IterableIterator<Connection> {
    return this.#byId.values();
  }
}
