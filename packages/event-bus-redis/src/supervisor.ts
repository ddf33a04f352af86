import { NsError } from '@ns/contracts';
import { ListenerList, type Logger } from '@ns/contracts/support';
import type { EngineState } from '@ns/event-bus';
import type { Cluster, Redis } from 'ioredis';
import { isTimeout } from './errors.js';

/** A command or subscriber connection: one Redis, or a Redis Cluster client. */
export type RedisConnection = Redis | Cluster;

/** What the supervisor asks of the engine when connections come and go. */
export interface SupervisorHooks {
  /** Subscribes every channel topic on a (re)connected subscriber. */
  subscribe(): Promise<unknown>;
  /** Catches every feed up from Redis (missed events, a new epoch); rejects to be retried. */
  sync(): Promise<unknown>;
  /** The subscriber dropped: appends waiting for their pub/sub copy must not hang till the resync. */
  subscriberLost(): void;
}

/** Timing of the supervision (see RedisEngineOptions), and what else means the subscriber lost messages. */
export interface SupervisorTiming {
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /**
   * Subscriber events after which it must subscribe again and resync, besides a reconnect (`ready`):
   * on a Cluster, `-node` — one master's sharded subscriber dropped while the others stay.
   */
  resubscribeOn?: readonly string[];
}

/**
 * Connection supervision: the engine is `ready` when both connections are up, the subscriber has
 * subscribed, Redis answers PINGs and the feeds have resynced; otherwise `down`. A hung Redis (stopped,
 * its connections open) is found by a PING without reply, and the commands waiting on it are failed at
 * once ({@link ConnectionSupervisor.untilHung}); the first reply after that resyncs.
 */
export class ConnectionSupervisor {
  readonly #cmd: RedisConnection;
  readonly #sub: RedisConnection;
  readonly #hooks: SupervisorHooks;
  readonly #timing: SupervisorTiming;
  readonly #logger: Logger | undefined;
  readonly #stateListeners = new ListenerList<(state: EngineState) => void>((err) => this.#logger?.error({ err }, 'redis engine: state listener failed'));
  readonly #readyWaiters = new Set<{ resolve(): void; reject(err: NsError): void }>();
  /** Appends waiting for Redis's reply, failed at once when Redis is found hung. */
  readonly #inflight = new Set<(err: Error) => void>();
  #state: EngineState = 'down';
  #closed = false;
  #cmdUp = false;
  #subUp = false;
  /** Redis stopped answering (a PING or command timed out) while the connections stayed open. */
  #hung = false;
  #pinging = false;
  /** Bumped whenever a connection drops, so a resync that raced a drop is redone. */
  #generation = 0;
  #subGeneration = 0;
  #syncing = false;
  #warnedDown = false;
  #resyncs = 0;
  readonly #pingTimer: NodeJS.Timeout;
  #resyncTimer: NodeJS.Timeout | undefined;
  #subscribeTimer: NodeJS.Timeout | undefined;

  constructor(cmd: RedisConnection, sub: RedisConnection, hooks: SupervisorHooks, timing: SupervisorTiming, logger?: Logger) {
    this.#cmd = cmd;
    this.#sub = sub;
    this.#hooks = hooks;
    this.#timing = timing;
    this.#logger = logger;
    cmd.on('ready', () => {
      this.#cmdUp = true;
      this.#hung = false; // a fresh connection's ready check was answered
      this.#resync();
    });
    sub.on('ready', () => void this.#subscribe());
    for (const event of timing.resubscribeOn ?? []) {
      sub.on(event, () => {
        if (this.#closed) return;
        this.#connectionLost(sub);
        void this.#subscribe();
      });
    }
    for (const conn of [cmd, sub]) {
      conn.on('close', () => this.#connectionLost(conn));
      conn.on('error', (err: Error) => this.#connectionError(err));
    }
    this.#pingTimer = setInterval(() => this.check(), timing.pingIntervalMs);
    this.#pingTimer.unref();
  }

  get state(): EngineState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Times both connections came back and the feeds resynced. */
  get resyncs(): number {
    return this.#resyncs;
  }

  onStateChange(listener: (state: EngineState) => void): () => void {
    return this.#stateListeners.add(listener);
  }

  /** Resolves once ready; rejects `unavailable` after `timeoutMs` or on close. */
  waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#closed) return Promise.reject(new NsError('unavailable', 'redis engine is closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: NsError) => {
          clearTimeout(timer);
          this.#readyWaiters.delete(waiter);
          reject(err);
        },
      };
      const timer = setTimeout(() => waiter.reject(new NsError('unavailable', `redis engine not ready after ${timeoutMs} ms`)), timeoutMs);
      this.#readyWaiters.add(waiter);
    });
  }

  /**
   * Throws `unavailable` unless ready: nothing is queued while down. `consequence` tells the caller what
   * did not happen (an append refused here says "nothing was published": its outcome is known).
   */
  assertReady(consequence?: string): void {
    if (this.#state !== 'ready') {
      const state = this.#closed ? 'redis engine is closed' : 'redis engine is down (Redis unreachable)';
      throw new NsError('unavailable', consequence === undefined ? state : `${state}; ${consequence}`);
    }
  }

  /** `reply`, or a rejection as soon as Redis is found hung (the command may still run later). */
  untilHung<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#inflight.add(reject);
      reply.then(resolve, reject).finally(() => this.#inflight.delete(reject));
    });
  }

  /** A command failed: on a timeout, has the PING decide now (slow or hung?) rather than at its turn. */
  failed(err: unknown): void {
    if (isTimeout(err)) this.check();
  }

  /**
   * One health PING at a time on the command connection. No reply within `pingTimeoutMs` marks
   * Redis hung; the first reply after that (Redis resumed) resyncs the feeds and restores `ready`.
   */
  check(): void {
    if (this.#closed || this.#pinging || !this.#cmdUp) return;
    this.#pinging = true;
    let answered = false;
    // The verdict waits for setImmediate: after this process's own event loop was blocked, a reply
    // already in the socket is read (poll phase) before it, so a busy gateway never blames Redis.
    const timer = setTimeout(
      () => setImmediate(() => answered || this.#markHung(`no PING reply within ${this.#timing.pingTimeoutMs} ms`)),
      this.#timing.pingTimeoutMs,
    );
    timer.unref();
    this.#cmd.ping().then(
      () => {
        answered = true;
        clearTimeout(timer);
        this.#pinging = false;
        if (this.#hung) this.#recovered();
      },
      (err: unknown) => {
        answered = true;
        clearTimeout(timer);
        this.#pinging = false;
        if (isTimeout(err)) this.#markHung('a PING timed out');
      },
    );
  }

  /** Stops supervising: `down`, waiters rejected, listeners detached, both connections quit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#resyncTimer);
    clearTimeout(this.#subscribeTimer);
    clearInterval(this.#pingTimer);
    this.#setState('down');
    for (const w of [...this.#readyWaiters]) w.reject(new NsError('unavailable', 'redis engine closed'));
    this.#stateListeners.clear();
    await Promise.all([this.#cmd, this.#sub].map((conn) => quit(conn)));
  }

  async #subscribe(): Promise<void> {
    const generation = this.#subGeneration;
    try {
      await this.#hooks.subscribe();
    } catch (err) {
      this.#logger?.warn({ err }, 'redis engine: subscribe failed; retrying');
      // A reconnect subscribes again by itself; a Cluster replacing one master's subscriber does not.
      clearTimeout(this.#subscribeTimer);
      this.#subscribeTimer = setTimeout(() => {
        if (!this.#closed && !this.#subUp && generation === this.#subGeneration) void this.#subscribe();
      }, 200);
      this.#subscribeTimer.unref();
      return;
    }
    // Only a drop of the subscriber itself voids this subscription.
    if (generation !== this.#subGeneration || this.#closed) return;
    this.#subUp = true;
    this.#resync();
  }

  /**
   * Once both connections are up (the subscriber subscribed first, so nothing published from now on
   * is missed), every feed catches up from Redis: missed events, or a new epoch. Only then `ready`.
   */
  #resync(): void {
    if (!this.#cmdUp || !this.#subUp || this.#syncing || this.#closed || this.#hung) return;
    this.#syncing = true;
    const generation = this.#generation;
    this.#hooks.sync().then(
      () => {
        this.#syncing = false;
        if (generation !== this.#generation || this.#hung) return this.#resync();
        this.#warnedDown = false;
        this.#resyncs++;
        this.#setState('ready');
      },
      (err: unknown) => {
        this.#syncing = false;
        if (this.#closed || this.#hung) return; // the first answer after the hang resyncs
        this.#logger?.warn({ err }, 'redis engine: resync failed; retrying');
        this.#resyncTimer = setTimeout(() => this.#resync(), 200);
        this.#resyncTimer.unref();
      },
    );
  }

  /** Redis stopped answering with the connections open: not ready, and waiting appends fail now. */
  #markHung(why: string): void {
    if (this.#hung || this.#closed || !this.#cmdUp) return;
    this.#hung = true;
    this.#generation++;
    this.#logger?.warn({ why }, 'redis engine: Redis is not answering; not ready until it does');
    const hung = new Error(`Redis did not answer (${why})`);
    for (const fail of [...this.#inflight]) fail(hung);
    this.#inflight.clear();
    this.#setState('down');
  }

  #recovered(): void {
    this.#hung = false;
    this.#logger?.warn({}, 'redis engine: Redis answers again; resyncing');
    this.#resync();
  }

  #connectionLost(conn: RedisConnection): void {
    this.#generation++;
    if (conn === this.#cmd) {
      this.#cmdUp = false;
    } else {
      this.#subGeneration++;
      this.#subUp = false;
      this.#hooks.subscriberLost();
    }
    this.#setState('down');
  }

  #connectionError(err: Error): void {
    if (this.#closed || this.#warnedDown) return;
    this.#warnedDown = true;
    this.#logger?.warn({ err }, 'redis engine: connection error; reconnecting');
  }

  #setState(state: EngineState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'ready') {
      for (const w of this.#readyWaiters) w.resolve();
      this.#readyWaiters.clear();
    }
    this.#stateListeners.emit(state);
  }
}

async function quit(conn: RedisConnection): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect();
}
