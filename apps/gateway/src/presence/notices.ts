import type { PresenceNoticeData, PublishEvent } from '@ns/contracts';
import { BurstLimiter } from '@ns/ws-server';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { LocalChanges } from './local-presence.js';

/** At most one `presence_notices_dropped` summary notice per this many milliseconds. */
export const DROPPED_SUMMARY_MS = 10_000;

/** Options of {@link PresenceNotices}. */
export interface PresenceNoticesOptions {
  /** Publishes one event (the event bus's `publish`). */
  publish: (event: PublishEvent) => Promise<unknown>;
  /** Notices per second (`NS_PRESENCE_NOTICE_RATE`). */
  ratePerS: number;
  logger: Logger;
  /** Where `ns_presence_notices_dropped_total` is registered. */
  registry?: Registry;
  /** Unix ms. */
  now?: () => number;
}

type Change = { type: 'system.presence_joined' | 'system.presence_left'; data: PresenceNoticeData };

/**
 * Join/leave notices on the `system` channel (docs/protocol.md#presence-and-admin), from the changes
 * each presence flush of this instance took in: a (channel, user) entry that appeared since the previous
 * flush is `system.presence_joined`, one that went `system.presence_left`. Per instance (a user on two
 * instances is announced by each), within one flush of the truth (a connection that comes and goes
 * between two flushes is not announced),
 * anonymous connections never. At most `ratePerS` per second, the rest dropped and counted; when some
 * were dropped, a `system.notice` says how many, at most every {@link DROPPED_SUMMARY_MS}.
 */
export class PresenceNotices {
  readonly #publish: (event: PublishEvent) => Promise<unknown>;
  readonly #limiter: BurstLimiter;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #dropped: Counter<'reason'> | undefined;
  /** Notices decided on and not yet published; bounded so that a stalled engine cannot pile them up. */
  #pending = 0;
  readonly #maxPending: number;
  #chain: Promise<void> = Promise.resolve();
  #droppedSinceSummary = 0;
  #lastSummaryMs: number;
  #failing = false;

  constructor(o: PresenceNoticesOptions) {
    this.#publish = o.publish;
    this.#limiter = new BurstLimiter(o.ratePerS, 'ns-presence-notices');
    this.#log = o.logger;
    this.#now = o.now ?? Date.now;
    this.#lastSummaryMs = this.#now();
    this.#maxPending = Math.max(100, 10 * o.ratePerS);
    this.#dropped =
      o.registry === undefined
        ? undefined
        : new Counter({
            name: 'ns_presence_notices_dropped_total',
            help: 'Presence join/leave notices not published: over NS_PRESENCE_NOTICE_RATE (rate), or the publish failed or backed up (error).',
            labelNames: ['reason'],
            registers: [o.registry],
          });
    this.#dropped?.inc({ reason: 'rate' }, 0);
    this.#dropped?.inc({ reason: 'error' }, 0);
  }

  /** Publishes the entries a presence flush found appeared or gone (the presence `onChanges` hook). */
  onChanges(changes: LocalChanges): void {
    const timestamp = this.#now() / 1000;
    const out: Change[] = [];
    for (const m of changes.joined) if (m.user !== null) out.push({ type: 'system.presence_joined', data: { channel: m.channel, user: m.user, connections: m.connections, timestamp } });
    for (const m of changes.left) if (m.user !== null) out.push({ type: 'system.presence_left', data: { channel: m.channel, user: m.user, connections: 0, timestamp } });
    if (out.length > 0) void this.#emit(out);
    this.#maybeSummarize();
  }

  /** Resolves when every notice decided on so far has been published or dropped. */
  async settled(): Promise<void> {
    // Decisions are asynchronous (the limiter); let the ones started in this tick join the chain.
    await new Promise((r) => setImmediate(r));
    await this.#chain;
  }

  async #emit(changes: Change[]): Promise<void> {
    for (const change of changes) {
      if (!(await this.#limiter.take('notices')).allowed) {
        this.#drop('rate');
        continue;
      }
      if (this.#pending >= this.#maxPending) {
        this.#drop('error');
        continue;
      }
      this.#pending++;
      // One after another, so a user's joined is published before the left that follows it.
      this.#chain = this.#chain.then(() => this.#send(change));
    }
  }

  async #send(change: Change): Promise<void> {
    try {
      await this.#publish(change);
      if (this.#failing) this.#log.info('presence notices: publishing again');
      this.#failing = false;
    } catch (err) {
      this.#drop('error');
      if (!this.#failing) this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence notices: publish failed; dropping notices until it works again');
      this.#failing = true;
    } finally {
      this.#pending--;
    }
  }

  #drop(reason: 'rate' | 'error'): void {
    this.#dropped?.inc({ reason });
    this.#droppedSinceSummary++;
  }

  #maybeSummarize(): void {
    const now = this.#now();
    if (this.#droppedSinceSummary === 0 || now - this.#lastSummaryMs < DROPPED_SUMMARY_MS) return;
    const dropped = this.#droppedSinceSummary;
    const seconds = Math.round((now - this.#lastSummaryMs) / 1000);
    this.#droppedSinceSummary = 0;
    this.#lastSummaryMs = now;
    const notice: PublishEvent = {
      type: 'system.notice',
      data: { level: 'warning', code: 'presence_notices_dropped', message: `${dropped} presence notices dropped in the last ${seconds} s (over NS_PRESENCE_NOTICE_RATE)`, timestamp: now / 1000 },
    };
    this.#chain = this.#chain.then(() => this.#publish(notice).then(
      () => undefined,
      () => undefined,
    ));
  }
}
