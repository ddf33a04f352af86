import cluster from 'node:cluster';
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
