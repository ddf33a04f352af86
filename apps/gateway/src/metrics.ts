import cluster from 'node:cluster';
import { CHANNEL_NAMES, channelForType, isEventType, type ChannelName } from '@ns/contracts';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { ClusterMetricsClient } from './cluster-metrics.js';
import type { Lifecycle } from './lifecycle.js';
import type { RedisEngineStats } from '@ns/event-bus-redis';
import { isCountingEngine, type CountingEngine, type EndpointStatsSource, type ManagerStatsSource, type PublishingBus } from './ports.js';
import type { SseStreamsStats } from '@ns/ws-server';
import type { StreamRouteStats } from './routes/stream.js';
import { histogramSamples, registerSnapshotMetric, type Sample } from './snapshot-metric.js';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  bus: PublishingBus;
  lifecycle: Lifecycle;
  manager?: ManagerStatsSource;
  endpoint?: EndpointStatsSource;
  streams?: { stats(): StreamsStatsView };
}

/** What the metrics read of the Server-Sent Events transport: the streams' and the routes' counters. */
export type StreamsStatsView = SseStreamsStats & StreamRouteStats;

/** Reasons an HTTP request's credentials were refused. */
export type HttpAuthFailure = 'missing' | 'invalid' | 'forbidden' | 'origin';

const perChannel = (read: (c: ChannelName) => number): Sample[] =>
  CHANNEL_NAMES.map((channel) => ({ labels: { channel }, value: read(channel) }));

/**
 * The gateway's Prometheus registry: default process metrics (CPU, memory, event-loop lag as
 * `nodejs_eventloop_lag_seconds`), plus `ns_*` series read from the bus, the WebSocket manager and the
 * /ws endpoint at scrape time. One registry per gateway, so several gateways in one process (tests)
 * never share series.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  /** End-to-end `POST /v1/publish` handling time, by HTTP status. */
  readonly httpPublishDuration: Histogram<'status'>;
  readonly #sources: MetricsSources;
  readonly #cluster: ClusterMetricsClient | undefined;
  readonly #httpAuthFailures: Record<HttpAuthFailure, number> = { missing: 0, invalid: 0, forbidden: 0, origin: 0 };

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    // prom-client names these gauges with a `_total` suffix, which Prometheus reserves for counters
    // (`promtool check metrics` flags them); the per-type `nodejs_active_*{type}` gauges carry the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) r.removeSingleMetric(name);
    this.httpPublishDuration = new Histogram({
      name: 'ns_http_publish_duration_seconds',
      help: 'Time to handle POST /v1/publish (auth, validation, engine acknowledgement), by status.',
      labelNames: ['status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });

    const bus = () => sources.bus.metrics();
    const manager = () => sources.manager?.stats();
    const endpoint = () => this.#sources.endpoint?.stats();
    const streams = () => this.#sources.streams?.stats();

    registerSnapshotMetric(r, {
      name: 'ns_ws_connections',
      help: 'Open WebSocket connections.',
      type: 'gauge',
      read: () => [{ value: manager()?.connections ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_connections',
      help: 'Open client connections by transport: WebSocket (/ws) and Server-Sent Events (/v1/stream).',
      type: 'gauge',
      read: () => {
        const sse = streams()?.open ?? 0;
        return [
          { labels: { transport: 'websocket' }, value: Math.max(0, (manager()?.connections ?? 0) - sse) },
          { labels: { transport: 'sse' }, value: sse },
        ];
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_connections_opened_total',
      help: 'Server-Sent Events streams opened (transport="sse").',
      type: 'counter',
      read: () => [{ labels: { transport: 'sse' }, value: streams()?.opened ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_connections_rejected_total',
      help: 'Connections refused before they started, by transport and reason (WebSocket upgrades also in ns_ws_rejected_upgrades_total).',
      type: 'counter',
      read: () => [
        ...Object.entries(endpoint()?.rejectedUpgrades ?? {}).map(([reason, value]) => ({ labels: { transport: 'websocket', reason }, value })),
        ...Object.entries(streams()?.rejected ?? {}).map(([reason, value]) => ({ labels: { transport: 'sse', reason }, value })),
      ],
    });
    registerSnapshotMetric(r, {
      name: 'ns_stream_tickets_issued_total',
      help: 'Stream tickets issued by POST /v1/stream-tickets.',
      type: 'counter',
      read: () => [{ value: streams()?.ticketsIssued ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_ws_subscriptions',
      help: 'Active subscriptions per channel.',
      type: 'gauge',
      read: () => {
        const s = manager()?.subscriptions;
        return perChannel((c) => s?.[c] ?? 0);
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_events_published_total',
      help: 'Events accepted by the bus (idempotent repeats excluded), by channel and type.',
      type: 'counter',
      read: () =>
        Object.entries(bus().published).flatMap(([type, value]) =>
          isEventType(type) ? [{ labels: { channel: channelForType(type), type }, value }] : [],
        ),
    });
    registerSnapshotMetric(r, {
      name: 'ns_events_delivered_total',
      help: 'Event frames written to WebSocket clients, per channel.',
      type: 'counter',
      read: () => {
        const d = manager()?.delivered;
        return perChannel((c) => d?.[c] ?? 0);
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_events_dropped_total',
      help: 'Events not delivered: replaced latest-per-key values and ephemeral events under backpressure, discarded bus deliveries.',
      type: 'counter',
      read: () => {
        const d = manager()?.dropped;
        const b = bus().dropped;
        return perChannel((c) => (d?.[c] ?? 0) + (b[c] ?? 0));
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_events_filtered_total',
      help: 'Events a subscription filter did not select, per channel.',
      type: 'counter',
      read: () => {
        const f = bus().filteredOut;
        return perChannel((c) => f[c] ?? 0);
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_publish_duplicates_total',
      help: 'Publishes of an id seen within the idempotency window (answered, not re-delivered).',
      type: 'counter',
      read: () => [{ value: bus().duplicates }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_handler_errors_total',
      help: 'Subscription handlers that threw, per channel.',
      type: 'counter',
      read: () => {
        const e = bus().handlerErrors;
        return perChannel((c) => e[c] ?? 0);
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_slow_consumer_closes_total',
      help: 'Connections closed with 4008 because they could not keep up with a lossless channel.',
      type: 'counter',
      read: () => [{ value: manager()?.slowConsumerCloses ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_loss_closes_total',
      help: 'Connections closed with 4008 because the engine lost events of a lossless channel they read (they resume told recovered:false).',
      type: 'counter',
      read: () => [{ value: manager()?.lossCloses ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_replays_refused_total',
      help: 'Subscribes refused with rate_limited because the connection had spent its replay budget (NS_REPLAY_BYTES_PER_S).',
      type: 'counter',
      read: () => [{ value: manager()?.replaysRefused ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_heartbeat_terminations_total',
      help: 'Connections terminated for not answering heartbeat pings.',
      type: 'counter',
      read: () => [{ value: manager()?.heartbeatTerminations ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_auth_failures_total',
      help: 'Refused credentials: WebSocket (bad/expired tokens) and HTTP (missing, invalid, forbidden, bad origin).',
      type: 'counter',
      read: () => [
        { labels: { transport: 'ws', reason: 'invalid' }, value: endpoint()?.authFailures ?? 0 },
        { labels: { transport: 'sse', reason: 'invalid' }, value: streams()?.authFailures ?? 0 },
        ...Object.entries(this.#httpAuthFailures).map(([reason, value]) => ({ labels: { transport: 'http', reason }, value })),
      ],
    });
    registerSnapshotMetric(r, {
      name: 'ns_ws_rejected_upgrades_total',
      help: 'WebSocket upgrades refused before the handshake, by reason.',
      type: 'counter',
      read: () => Object.entries(endpoint()?.rejectedUpgrades ?? {}).map(([reason, value]) => ({ labels: { reason }, value })),
    });
    registerSnapshotMetric(r, {
      name: 'ns_ws_rate_limited_messages_total',
      help: 'Inbound WebSocket messages refused by the per-connection rate limit.',
      type: 'counter',
      read: () => [{ value: endpoint()?.rateLimitedMessages ?? 0 }],
    });
    registerSnapshotMetric(r, {
      name: 'ns_publish_latency_seconds',
      help: 'Time from publish to the engine acknowledging the event (sequenced and stored), per call.',
      type: 'histogram',
      read: () => histogramSamples('ns_publish_latency_seconds', bus().publishLatency),
    });
    registerSnapshotMetric(r, {
      name: 'ns_channel_seq',
      help: 'Last assigned sequence number per channel.',
      type: 'gauge',
      aggregator: 'max',
      read: async () => {
        if (!sources.lifecycle.engineReady) return [];
        const heads = await sources.bus.heads();
        return perChannel((c) => heads[c]?.seq ?? 0);
      },
    });
    registerSnapshotMetric(r, {
      name: 'ns_ready',
      help: '1 when the gateway is ready (engine connected, not draining); under NS_WORKERS, when every worker is.',
      type: 'gauge',
      aggregator: 'min',
      read: () => [{ value: sources.lifecycle.ready ? 1 : 0 }],
    });
    const engine = sources.bus.engine;
    if (isCountingEngine(engine)) registerEngineMetrics(r, engine);
    this.#cluster = cluster.isWorker ? new ClusterMetricsClient(r) : undefined;
  }

  /** Reads the /ws endpoint's counters from now on (it is attached after the HTTP app exists). */
  attachEndpoint(endpoint: EndpointStatsSource): void {
    this.#sources.endpoint = endpoint;
  }

  /** Reads the Server-Sent Events transport's counters from now on. */
  attachStreams(streams: { stats(): StreamsStatsView }): void {
    this.#sources.streams = streams;
  }

  /** Counts one refused HTTP credential. */
  countHttpAuthFailure(reason: HttpAuthFailure): void {
    this.#httpAuthFailures[reason]++;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition: this process's, or under NS_WORKERS the whole cluster's. */
  render(): Promise<string> {
    return this.#cluster?.fetch() ?? this.registry.metrics();
  }
}

const ENGINE_COUNTERS: readonly { key: keyof RedisEngineStats; name: string; help: string }[] = [
  { key: 'pubsubMessages', name: 'ns_redis_pubsub_messages_total', help: 'Pub/sub messages received from Redis (one per channel per append batch, from every instance).' },
  { key: 'gapReads', name: 'ns_redis_gap_reads_total', help: 'Reads of a Redis Stream to fill a seq gap in the pub/sub feed.' },
  { key: 'gapEventsRecovered', name: 'ns_redis_gap_events_recovered_total', help: 'Events recovered from history by gap reads.' },
  { key: 'lostEvents', name: 'ns_redis_lost_events_total', help: 'Seqs of lossless channels trimmed from history before this instance could deliver them.' },
  { key: 'resyncs', name: 'ns_redis_resyncs_total', help: 'Times both Redis connections came back and every channel feed resynced.' },
];

/** `ns_redis_*`: the Redis engine's own counters and connection state, read at scrape time. */
function registerEngineMetrics(r: Registry, engine: CountingEngine): void {
  for (const c of ENGINE_COUNTERS) {
    registerSnapshotMetric(r, { name: c.name, help: c.help, type: 'counter', read: () => [{ value: engine.stats()[c.key] }] });
  }
  registerSnapshotMetric(r, {
    name: 'ns_redis_up',
    help: '1 while both Redis connections are up and the feeds are in sync (engine ready), else 0; under NS_WORKERS, the lowest worker.',
    type: 'gauge',
    aggregator: 'min',
    read: () => [{ value: engine.state === 'ready' ? 1 : 0 }],
  });
}
