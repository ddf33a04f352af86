import { Connection } from './connection.js';
import type { FrameSink } from './frame-sink.js';

/** Every registered sink of a manager, by id. */
export class SinkRegistry {
  readonly #byId = new Map<string, FrameSink>();

  get size(): number {
    return this.#byId.size;
  }

  add(sink: FrameSink): void {
    if (this.#byId.has(sink.id)) throw new Error(`duplicate connection id ${sink.id}`);
    this.#byId.set(sink.id, sink);
  }

  get(id: string): FrameSink | undefined {
    return this.#byId.get(id);
  }

  delete(sink: FrameSink): boolean {
    return this.#byId.get(sink.id) === sink && this.#byId.delete(sink.id);
  }

  values(): IterableIterator<FrameSink> {
    return this.#byId.values();
  }

  /** The WebSocket connections among the sinks (the heartbeat's targets). */
  *connections(): IterableIterator<Connection> {
    for (const sink of this.#byId.values()) if (sink instanceof Connection) yield sink;
  }
}
