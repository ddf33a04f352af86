import type { Registry } from 'prom-client';

/** One sample of a snapshot metric. */
export interface Sample {
  labels?: Record<string, string | number>;
  value: number;
  /** Series name when it differs from the metric's (histogram `_bucket`, `_sum`, `_count`). */
  metricName?: string;
}

/** Options of {@link registerSnapshotMetric}. */
export interface SnapshotMetricOptions {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** How NS_WORKERS' per-worker values combine on /metrics (prom-client's aggregators); default `sum`. */
  aggregator?: 'sum' | 'min' | 'max';
  /** Reads the current values at scrape time. */
  read: () => Sample[] | Promise<Sample[]>;
}

/**
 * Registers a metric whose values are read from another component's counters at scrape time (the bus,
 * the WebSocket manager keep plain numbers and know nothing of Prometheus). prom-client's own Counter
 * cannot be set to an external cumulative value, so this speaks the registry's metric interface.
 */
export function registerSnapshotMetric(registry: Registry, options: SnapshotMetricOptions): void {
  const { name, help, type, read, aggregator = 'sum' } = options;
  const metric = {
    name,
    help,
    type,
    aggregator,
    async get() {
      // prom-client's cluster aggregation hashes every sample's labels: never leave them undefined.
      const values = (await read()).map((v) => (v.labels === undefined ? { ...v, labels: {} } : v));
      return { name, help, type, aggregator, values };
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** Samples of a Prometheus histogram from cumulative buckets (seconds). */
export function histogramSamples(
  name: string,
  h: { count: number; sumSeconds: number; buckets: readonly { le: number; count: number }[] },
): Sample[] {
  return [
    ...h.buckets.map((b) => ({ metricName: `${name}_bucket`, labels: { le: b.le }, value: b.count })),
    { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
    { metricName: `${name}_sum`, value: h.sumSeconds },
    { metricName: `${name}_count`, value: h.count },
  ];
}
