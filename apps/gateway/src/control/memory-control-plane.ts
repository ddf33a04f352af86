import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { NoticeHandlers, type ControlPlane, type ControlRecord, type PutOutcome } from './control-plane.js';
import { ControlNotice, type ControlNoticeKind, type NoticeOf } from './notices.js';

/** How often expired records are swept even when nobody reads or writes (they are also swept on access). */
export const MEMORY_SWEEP_INTERVAL_MS = 60_000;

/**
 * The control plane of the memory engine: one process is the whole deployment, so a notice is
 * delivered to this process's handlers at once and records live in a Map per collection, bounded by
 * the `max` each `put` names and swept of expired entries on access and once a minute.
 */
export class MemoryControlPlane implements ControlPlane {
  readonly name = 'memory';
  readonly instanceId = randomUUID();
  readonly #handlers: NoticeHandlers;
  readonly #collections = new Map<string, Map<string, { value: string; expiresAtMs: number }>>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(logger: Logger) {
    this.#handlers = new NoticeHandlers((err, kind) => logger.error({ err, kind }, 'control notice handler failed'));
    this.#sweeper = setInterval(() => {
      for (const c of this.#collections.values()) sweep(c, Date.now());
    }, MEMORY_SWEEP_INTERVAL_MS).unref();
  }

  async broadcast(notice: ControlNotice): Promise<void> {
    // Validated like a notice from Redis: a caller's bad notice fails here, not in some handler.
    this.#handlers.deliver(ControlNotice.parse(notice));
  }

  onNotice<K extends ControlNoticeKind>(kind: K, handler: (notice: NoticeOf<K>) => void): () => void {
    return this.#handlers.on(kind, handler);
  }

  onResync(handler: () => void): () => void {
    return this.#handlers.onResync(handler);
  }

  async put(collection: string, id: string, value: string, expiresAtMs: number, max: number): Promise<PutOutcome> {
    let records = this.#collections.get(collection);
    if (records === undefined) this.#collections.set(collection, (records = new Map()));
    sweep(records, Date.now());
    if (!records.has(id) && records.size >= max) return { stored: false, count: records.size };
    records.set(id, { value, expiresAtMs });
    return { stored: true, count: records.size };
  }

  async list(collection: string): Promise<ControlRecord[]> {
    const records = this.#collections.get(collection);
    if (records === undefined) return [];
    sweep(records, Date.now());
    return [...records].map(([id, r]) => ({ id, ...r })).sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }
}

function sweep(records: Map<string, { expiresAtMs: number }>, now: number): void {
  for (const [id, r] of records) if (r.expiresAtMs <= now) records.delete(id);
}
