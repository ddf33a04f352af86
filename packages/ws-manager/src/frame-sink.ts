import type { ChannelName, Principal, ServerControlMessage } from '@ns/contracts';
import type { FrameEncoder, OutboundFrame } from './frame-builder.js';
import type { FrameCoalescer } from './frame-coalescer.js';
import type { Logger } from '@ns/contracts/support';

/** Lifecycle of a sink: `accepting` (authenticating) → `open` → `closing` → `closed`. */
export type SinkState = 'accepting' | 'open' | 'closing' | 'closed';

/**
 * One client's outbound side, whatever the transport: what the manager's subscriptions, fan-out,
 * admin listing and shutdown see of a WebSocket {@link Connection} or of another transport's stream
 * (Server-Sent Events). A sink is registered with `WsManager.register`; from then on the manager owns
 * its subscriptions (`WsManager.channelsOf`), and the sink reports its end through
 * {@link SinkHost.onClosed}. {@link QueuedSink} implements everything but the transport itself.
 */
export interface FrameSink {
  /** Unique among the manager's sinks (`c_…`). */
  readonly id: string;
  /** Transport name, e.g. `websocket` or `sse`; for logs and admin listings. */
  readonly transport: string;
  /** Builds this transport's frames; shared by all sinks of the transport so each event is framed once. */
  readonly encoder: FrameEncoder;
  /** Who the client acts as (`null`: anonymous). Changed only through `WsManager.setPrincipal`. */
  principal: Principal | null;
  /** Client IP, when known. */
  readonly remoteAddress: string | undefined;
  /** When the sink was registered (ms since the Unix epoch). */
  readonly openedAt: number;
  readonly state: SinkState;
  /** Bytes queued plus bytes the transport has not handed to the kernel yet. */
  readonly bufferedBytes: number;
  /** Channels this sink is subscribed to (live or still replaying), as the manager's `Subscriptions` hold them. */
  readonly channels: ChannelName[];
  /**
   * Per-sink state kept on the sink by its one owner rather than in a map keyed by sink: a Map entry
   * costs every idle connection ~50 bytes, plus the garbage of the map's rehashes while a connection
   * burst grows it. `subscriptionSlot` belongs to the manager's `Subscriptions`; `trackerSlot` to one
   * outside tracker of every sink (the gateway's presence). Nobody else reads or writes them.
   */
  subscriptionSlot?: unknown;
  trackerSlot?: unknown;
  /**
   * Queues an event frame built by {@link encoder}, applying backpressure by delivery class against the
   * sink's byte cap (ephemeral dropped, latest-per-key replaced, lossless over the cap → slow-consumer
   * close). The fan-out's hot path.
   */
  enqueue(frame: OutboundFrame): void;
  /** Queues a control reply (`subscribed`, `pong`, `error`, …); never dropped while the sink is live. */
  send(message: ServerControlMessage): void;
  /** Flushes what is queued, then ends the stream with `code` (a close code) and `reason`. Idempotent. */
  close(code?: number, reason?: string): void;
  /** Ends the stream at once, discarding what is queued (shutdown stragglers). */
  terminate(): void;
}

/**
 * What the manager lends every sink it registers: the shared write coalescer, the byte cap, counters
 * and the callbacks a sink reports to. Passed to the factory given to `WsManager.register`.
 */
export interface SinkHost {
  readonly coalescer: FrameCoalescer;
  /** Per-sink cap on queued plus transport-buffered bytes. */
  readonly maxBufferedBytes: number;
  readonly logger: Logger;
  /** Per-channel counters, pre-filled with 0 for every channel. */
  readonly delivered: Record<ChannelName, number>;
  readonly dropped: Record<ChannelName, number>;
  /** Channels `sink` is subscribed to; the manager's `Subscriptions` own that data, sinks only read it. */
  channelsOf(sink: FrameSink): ChannelName[];
  /** The sink was closed as a slow consumer (4008). */
  onSlowConsumer(sink: FrameSink): void;
  /** The sink missed its heartbeat and was terminated. */
  onUnresponsive(sink: FrameSink): void;
  /** The sink has closed: the manager drops its subscriptions and forgets it. Call exactly once. */
  onClosed(sink: FrameSink, code: number, reason: string): void;
}

/** Options every sink takes. */
export interface SinkInit {
  /** Sink id; generated when absent. */
  id?: string;
  principal?: Principal | null;
  remoteAddress?: string;
}
