import { CHANNEL_NAMES, EVENT_TYPE_NAMES, type ChannelName } from '@ns/contracts';

/** A cumulative latency histogram in seconds, Prometheus style (`+Inf` is `count`). */
export interface LatencyHistogram {
  count: number;
  sumSeconds: number;
  /** Cumulative: `count` of observations ≤ `le` seconds. */
  buckets: { le: number; count: number }[];
}

/** Plain counters of one bus, for a Prometheus exporter to read. */
export interface BusMetricsSnapshot {
  /** Events accepted (not counting idempotent duplicates), by event type. */
  published: Record<string, number>;
  publishedByChannel: Record<ChannelName, number>;
  /** Events handed to subscription handlers (one per subscription). */
  delivered: Record<ChannelName, number>;
  /** Events a subscription's filter rejected. */
  filteredOut: Record<ChannelName, number>;
  /** Events discarded: repeated seqs from an engine feed, micro-batches pending at unsubscribe. */
  dropped: Record<ChannelName, number>;
  /** Handlers (or predicate filters) that threw or rejected. */
  handlerErrors: Record<ChannelName, number>;
  /** Publishes answered from the idempotency window. */
  duplicates: number;
  /** Time from `publish`/`publishBatch` call to the engine's acknowledgement, one sample per call. */
  publishLatency: LatencyHistogram;
}

/** Upper bounds of the publish-latency buckets, in seconds (50 µs … 1 s). */
export const PUBLISH_LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
] as const;

const perChannel = (): Record<ChannelName, number> =>
  Object.fromEntries(CHANNEL_NAMES.map((c) => [c, 0])) as Record<ChannelName, number>;

/** The bus's counters: plain numbers incremented on the hot path, copied out by {@link snapshot}. */
export class BusMetrics {
  readonly published: Record<string, number> = Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, 0]));
  readonly publishedByChannel = perChannel();
  readonly delivered = perChannel();
  readonly filteredOut = perChannel();
  readonly dropped = perChannel();
  readonly handlerErrors = perChannel();
  duplicates = 0;
  readonly #bucketCounts = new Array<number>(PUBLISH_LATENCY_BUCKETS.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;

  /** Records one accepted (non-duplicate) event. */
  countPublished(type: string, channel: ChannelName): void {
    this.published[type] = (this.published[type] ?? 0) + 1;
    this.publishedByChannel[channel]++;
  }

  observeLatency(seconds: number): void {
    this.#latencyCount++;
    this.#latencySum += seconds;
    // Stored per bucket, made cumulative in snapshot(); the first bucket that fits is enough.
    for (let i = 0; i < PUBLISH_LATENCY_BUCKETS.length; i++) {
      if (seconds <= (PUBLISH_LATENCY_BUCKETS[i] as number)) {
        this.#bucketCounts[i] = (this.#bucketCounts[i] as number) + 1;
        return;
      }
    }
  }

  snapshot(): BusMetricsSnapshot {
    let cumulative = 0;
    const buckets = PUBLISH_LATENCY_BUCKETS.map((le, i) => {
      cumulative += this.#bucketCounts[i] as number;
      return { le, count: cumulative };
    });
    return {
      published: { ...this.published },
      publishedByChannel: { ...this.publishedByChannel },
      delivered: { ...this.delivered },
      filteredOut: { ...this.filteredOut },
      dropped: { ...this.dropped },
      handlerErrors: { ...this.handlerErrors },
      duplicates: this.duplicates,
      publishLatency: { count: this.#latencyCount, sumSeconds: this.#latencySum, buckets },
    };
  }
}
