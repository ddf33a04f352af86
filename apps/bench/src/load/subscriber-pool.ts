import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkTracked, stopChild } from '../measure/processes.js';
import { readTotals } from '../measure/proc-stat.js';
import type { FilterMode } from './threat-events.js';
import { nextMessage } from './ipc.js';
import type { WireProtocol } from './raw-subscriber.js';
import type { WorkerCommand, WorkerReply, WorkerStats } from './subscriber-messages.js';

const WORKER = fileURLToPath(new URL('./subscriber-worker.ts', import.meta.url));

/** Subscribers per worker process: well under one process's 20,000 file descriptors. */
export const SUBSCRIBERS_PER_WORKER = 5000;

/** Options of {@link SubscriberPool.open}. */
export interface PoolOptions {
  protocol: WireProtocol;
  host: string;
  port: number;
  count: number;
  /** Index of the first subscriber (samplers take the indexes before it, so filters stay spread evenly). */
  firstIndex: number;
  filter: FilterMode;
  track: boolean;
  sourceAddresses: number;
  /** Handshakes in flight per worker. */
  concurrency: number;
}

/** Sum of the workers' counters. */
export type PoolStats = Omit<WorkerStats, 'type'>;

/** The raw-socket subscribers of one run, spread over as many worker processes as the fd limit needs. */
export class SubscriberPool {
  readonly workers: ChildProcess[] = [];
  #counts: number[] = [];

  /** Opens `count` subscribers; resolves with how many are subscribed and the first few errors. */
  async open(o: PoolOptions): Promise<{ opened: number; failed: number; errors: string[]; ms: number }> {
    const n = Math.max(1, Math.ceil(o.count / SUBSCRIBERS_PER_WORKER));
    let first = o.firstIndex;
    const replies: Promise<Extract<WorkerReply, { type: 'opened' }>>[] = [];
    for (let w = 0; w < n; w++) {
      const count = Math.floor(o.count / n) + (w < o.count % n ? 1 : 0);
      const worker = forkTracked(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.workers.push(worker);
      this.#counts.push(count);
      const cmd: WorkerCommand = { cmd: 'open', protocol: o.protocol, host: o.host, port: o.port, firstIndex: first, count, sourceAddresses: o.sourceAddresses, filter: o.filter, track: o.track, concurrency: o.concurrency };
      replies.push(nextMessage(worker, 'opened', 180_000));
      worker.send(cmd);
      first += count;
    }
    const all = await Promise.all(replies);
    return {
      opened: all.reduce((s, r) => s + r.opened, 0),
      failed: all.reduce((s, r) => s + r.failed, 0),
      errors: all.flatMap((r) => r.errors).slice(0, 5),
      ms: Math.max(...all.map((r) => r.ms)),
    };
  }

  /** Resets every counter; deliveries are counted from here. */
  async mark(): Promise<void> {
    await this.#all({ cmd: 'mark' }, 'marked');
  }

  async stats(): Promise<PoolStats> {
    const all = await this.#all<WorkerStats>({ cmd: 'stats' }, 'stats');
    return {
      open: all.reduce((s, r) => s + r.open, 0),
      delivered: all.reduce((s, r) => s + r.delivered, 0),
      bytes: all.reduce((s, r) => s + r.bytes, 0),
      lastDataAt: Math.max(0, ...all.map((r) => r.lastDataAt)),
      events: all.reduce((s, r) => s + r.events, 0),
      gaps: all.reduce((s, r) => s + r.gaps, 0),
      duplicates: all.reduce((s, r) => s + r.duplicates, 0),
      maxSeq: Math.max(0, ...all.map((r) => r.maxSeq)),
      minSeq: Math.min(...all.map((r) => r.minSeq)),
    };
  }

  /** Abruptly closes every subscriber's socket (client side, no close frame), or `count` of them. */
  async drop(count?: number): Promise<void> {
    if (count === undefined) {
      await this.#all({ cmd: 'drop' }, 'dropped');
      return;
    }
    const n = this.workers.length;
    await Promise.all(
      this.workers.map((w, i) => {
        const reply = nextMessage(w, 'dropped');
        w.send({ cmd: 'drop', count: Math.floor(count / n) + (i < count % n ? 1 : 0) } satisfies WorkerCommand);
        return reply;
      }),
    );
  }

  /** Every subscriber reconnects at once, resuming from its own cursor. */
  async reconnect(targetSeq: number, offset: string): Promise<Extract<WorkerReply, { type: 'reconnected' }>[]> {
    return this.#all({ cmd: 'reconnect', targetSeq, offset }, 'reconnected', 120_000);
  }

  /** CPU (µs) of the worker processes, from /proc. */
  cpuMicros(): number {
    return readTotals(this.workers.map((w) => w.pid ?? 0)).cpuMicros;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.connected) w.send({ cmd: 'exit' } satisfies WorkerCommand);
        await stopChild(w, 3000);
      }),
    );
    this.workers.length = 0;
  }

  async #all<T extends WorkerReply>(cmd: WorkerCommand, type: T['type'], timeoutMs?: number): Promise<T[]> {
    const replies = this.workers.map((w) => nextMessage<T>(w, type, timeoutMs));
    for (const w of this.workers) w.send(cmd);
    return Promise.all(replies);
  }
}
