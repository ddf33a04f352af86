import cluster, { type Worker } from 'node:cluster';
import { NsError } from '@ns/contracts';
import { AggregatorRegistry, type Registry } from 'prom-client';

// Under NS_WORKERS every worker has its own registry, and the shared port hands each scrape to any
// one of them: counters would jump between workers' values. So a worker's /metrics asks the primary,
// which gathers every worker's registry with prom-client's AggregatorRegistry (per metric: counters
// and histograms summed; gauges summed, or min/max where the metric says so) and answers the text.

const REQUEST = 'ns-gateway:metrics-request';
const REPLY = 'ns-gateway:metrics-reply';

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsReply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

const isRequest = (m: unknown): m is MetricsRequest => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === REQUEST;
const isReply = (m: unknown): m is MetricsReply => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === REPLY;

/** In the cluster primary: answers workers' requests with the whole cluster's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (reply: Omit<MetricsReply, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, ...reply } satisfies MetricsReply);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** In a cluster worker: offers `registry` to the primary's aggregation and fetches the aggregate. */
export class ClusterMetricsClient {
  #nextId = 0;
  readonly #pending = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();

  constructor(registry: Registry) {
    // Constructing one installs prom-client's worker-side listener; the registry is what it reports.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    process.on('message', (message: unknown) => {
      if (!isReply(message)) return;
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.text !== undefined) waiter.resolve(message.text);
      else waiter.reject(new NsError('unavailable', `cluster metrics unavailable: ${message.error ?? 'no answer'}`));
    });
  }

  /** The whole cluster's metrics as Prometheus text; rejects `unavailable` after `timeoutMs`. */
  fetch(timeoutMs = 6_000): Promise<string> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NsError('unavailable', `cluster metrics: no answer from the primary within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
    });
  }
}

// /v1/channels' subscriber counts need the same cluster-wide view, but not the whole registry: the
// primary asks every worker for its WebSocket manager's counts and answers with their sum.

const STATS_REQUEST = 'ns-gateway:stats-request';
const STATS_COLLECT = 'ns-gateway:stats-collect';
const STATS_PART = 'ns-gateway:stats-part';
const STATS_REPLY = 'ns-gateway:stats-reply';

/** Connection and subscription counts, per worker or summed over the cluster. */
export interface ConnectionCounts {
  connections: number;
  subscriptions: Partial<Record<string, number>>;
}

interface StatsMessage {
  type: typeof STATS_REQUEST | typeof STATS_COLLECT | typeof STATS_PART | typeof STATS_REPLY;
  id: number;
  counts?: ConnectionCounts;
  error?: string;
}

const isStats = (m: unknown, type: StatsMessage['type']): m is StatsMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type && typeof (m as { id?: unknown }).id === 'number';

/** How long the primary waits for every worker's counts; a worker that does not answer fails the query. */
const COLLECT_TIMEOUT_MS = 3_000;

/** Sums per-worker counts. */
export function sumCounts(parts: readonly ConnectionCounts[]): ConnectionCounts {
  const out: ConnectionCounts = { connections: 0, subscriptions: {} };
  for (const p of parts) {
    out.connections += p.connections;
    for (const [channel, n] of Object.entries(p.subscriptions)) out.subscriptions[channel] = (out.subscriptions[channel] ?? 0) + (n ?? 0);
  }
  return out;
}

/** In the cluster primary: answers a worker's request with every worker's counts summed. */
export function serveClusterStats(): void {
  let nextCollect = 0;
  const collecting = new Map<number, { parts: ConnectionCounts[]; waiting: Set<number>; done(error?: string): void }>();
  cluster.on('exit', (worker) => {
    for (const c of [...collecting.values()]) if (c.waiting.delete(worker.id) && c.waiting.size === 0) c.done();
  });
  cluster.on('message', (worker, message: unknown) => {
    if (isStats(message, STATS_PART)) {
      const c = collecting.get(message.id);
      if (c === undefined || !c.waiting.delete(worker.id)) return;
      if (message.counts !== undefined) c.parts.push(message.counts);
      if (c.waiting.size === 0) c.done();
      return;
    }
    if (!isStats(message, STATS_REQUEST)) return;
    // (A worker that exits mid-collection is dropped from it below: its clients are gone with it.)
    const requestId = message.id;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    const id = nextCollect++;
    const timer = setTimeout(() => entry.done(`${entry.waiting.size} worker(s) did not answer within ${COLLECT_TIMEOUT_MS} ms`), COLLECT_TIMEOUT_MS);
    const entry = {
      parts: [] as ConnectionCounts[],
      waiting: new Set(workers.map((w) => w.id)),
      done: (error?: string) => {
        clearTimeout(timer);
        collecting.delete(id);
        const reply: StatsMessage = error === undefined ? { type: STATS_REPLY, id: requestId, counts: sumCounts(entry.parts) } : { type: STATS_REPLY, id: requestId, error };
        if (worker.isConnected()) worker.send(reply);
      },
    };
    collecting.set(id, entry);
    for (const w of workers) w.send({ type: STATS_COLLECT, id } satisfies StatsMessage);
    if (workers.length === 0) entry.done();
  });
}

/**
 * In a cluster worker: contributes `local()` to the primary's collections, and fetches the cluster's
 * summed counts (for `GET /v1/channels`).
 */
export class ClusterStatsClient {
  #nextId = 0;
  readonly #pending = new Map<number, { resolve(c: ConnectionCounts): void; reject(err: Error): void }>();

  constructor(local: () => ConnectionCounts) {
    process.on('message', (message: unknown) => {
      if (isStats(message, STATS_COLLECT)) {
        const { connections, subscriptions } = local();
        process.send?.({ type: STATS_PART, id: message.id, counts: { connections, subscriptions } } satisfies StatsMessage);
        return;
      }
      if (!isStats(message, STATS_REPLY)) return;
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.counts !== undefined) waiter.resolve(message.counts);
      else waiter.reject(new NsError('unavailable', `cluster counts unavailable: ${message.error ?? 'no answer'}`));
    });
  }

  /** The whole cluster's counts; rejects `unavailable` when the primary does not answer in time. */
  fetch(timeoutMs = COLLECT_TIMEOUT_MS + 2_000): Promise<ConnectionCounts> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NsError('unavailable', `cluster counts: no answer from the primary within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: STATS_REQUEST, id } satisfies StatsMessage);
    });
  }
}
