import type { ServerResponse } from 'node:http';
import {
  CHANNEL_NAMES,
  CHANNELS,
  PROTOCOL_VERSION,
  type ChannelName,
  type Principal,
  type StreamCursor,
  type SubscribeMessage,
} from '@ns/contracts';
import type { WsManager } from '@ns/ws-manager';
import { pino, type Logger } from 'pino';
import { setTimerAt, type LongTimer } from '../long-timer.js';
import { HEARTBEAT_FRAME, retryPreamble } from './sse-format.js';
import { SseSink } from './sse-sink.js';

/** Options of {@link SseStreams}. */
export interface SseStreamsOptions {
  manager: WsManager;
  /** Interval of the heartbeat comment, in seconds (the `heartbeat_s` of `welcome`). */
  heartbeatS: number;
  /** `max_message_bytes` announced in `welcome` (nothing is read from a stream; kept for parity with /ws). */
  maxMessageBytes: number;
  /** Reconnect delay suggested to EventSource (`retry:`), in ms. Default 1 000. */
  retryMs?: number;
  /** How long an ended stream may take to drain before it is destroyed. Default 5 000. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

/** One stream to open: who reads what, from where. Everything is already parsed and authenticated. */
export interface StreamRequest {
  /** `null`: anonymous (the caller checked that anonymous access is allowed). */
  principal: Principal | null;
  /** Token expiry (Unix s): the stream ends with `token_expired` then. */
  expiresAt: number | null;
  /** Channels in request order, each once. */
  channels: readonly ChannelName[];
  /** Typed filters by channel (validated by the caller). */
  filters: Partial<Record<ChannelName, SubscribeMessage['filter']>>;
  cursor: StreamCursor;
  remoteAddress?: string;
  /** Watches the credential for revocation (`Authentication.watch`): the stream ends with 4001 when it is revoked. */
  watch?: (onRevoked: () => void) => () => void;
}

/** Counters of the SSE transport. */
export interface SseStreamsStats {
  /** Streams open now. */
  open: number;
  /** Streams opened since start. */
  opened: number;
}

/**
 * The Server-Sent Events side of the gateway (docs/protocol.md#server-sent-events): opens a stream as
 * an {@link SseSink} registered with the same {@link WsManager} as WebSocket connections, subscribes its
 * channels through the manager's subscribe path (same permission checks, filters, replay, resume),
 * sends heartbeat comments on one shared timer and ends streams when their token expires.
 */
export class SseStreams {
  readonly #o: SseStreamsOptions;
  readonly #logger: Logger;
  readonly #open = new Set<SseSink>();
  #opened = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SseStreamsOptions) {
    this.#o = options;
    this.#logger = options.logger ?? pino({ level: 'silent' });
  }

  stats(): SseStreamsStats {
    return { open: this.#open.size, opened: this.#opened };
  }

  /**
   * Answers `res` with the stream: headers, `retry:`, `welcome`, then one `subscribed` (or `error`) per
   * channel followed by its replay, then live events. Resolves once every channel was answered.
   */
  async open(res: ServerResponse, request: StreamRequest): Promise<SseSink> {
    const manager = this.#o.manager;
    const lossless = request.channels.filter((c) => CHANNELS[c].delivery === 'lossless').length;
    const sink = manager.register(
      (host) =>
        new SseSink(host, res, {
          principal: request.principal,
          ...(request.remoteAddress === undefined ? {} : { remoteAddress: request.remoteAddress }),
          cursor: request.cursor,
          multiLossless: lossless > 1,
          ...(this.#o.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: this.#o.closeTimeoutMs }),
        }),
    );
    this.#opened++;
    const log = this.#logger.child({ connection_id: sink.id, ip: request.remoteAddress, transport: 'sse' });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // Proxies that buffer responses (nginx) would hold events back.
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(retryPreamble(this.#o.retryMs ?? 1_000));
    if (sink.state !== 'accepting') return sink; // the manager is shutting down: closed at once
    this.#open.add(sink);
    this.#startHeartbeat();
    let expiry: LongTimer | undefined;
    let unwatch: (() => void) | undefined;
    sink.onClose((code, reason) => {
      this.#open.delete(sink);
      expiry?.clear();
      unwatch?.();
      if (this.#open.size === 0) this.#stopHeartbeat();
      log.info({ code, reason, duration_ms: Date.now() - sink.openedAt, principal: sink.principal?.id ?? null }, 'stream closed');
    });
    sink.send({
      type: 'welcome',
      connection_id: sink.id,
      protocol: PROTOCOL_VERSION,
      server_time: Date.now() / 1000,
      heartbeat_s: this.#o.heartbeatS,
      max_message_bytes: this.#o.maxMessageBytes,
      channels: [...CHANNEL_NAMES],
      principal: request.principal,
    });
    manager.setPrincipal(sink, request.principal);
    sink.open();
    if (request.expiresAt !== null) {
      expiry = setTimerAt(request.expiresAt * 1000, () => {
        log.info({ expires_at: request.expiresAt }, 'token expired');
        // The stream's last message, the `token_expired` error, is finalErrorFor's (sse-format.ts).
        sink.close(4001, 'token_expired');
      });
    }
    unwatch = request.watch?.(() => {
      log.info('token revoked');
      sink.close(4001, 'token_revoked');
    });
    log.info({ principal: request.principal?.id ?? null, channels: request.channels, resume: Object.keys(request.cursor) }, 'stream opened');
    for (const channel of request.channels) {
      if ((sink.state as string) !== 'open') break;
      const filter = request.filters[channel];
      const since = request.cursor[channel];
      const message: SubscribeMessage = { type: 'subscribe', channel };
      if (filter !== undefined) message.filter = filter;
      if (since !== undefined) message.since = { epoch: since.epoch, seq: since.seq };
      await manager.subscribe(sink, message);
    }
    return sink;
  }

  #startHeartbeat(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      for (const sink of this.#open) if (sink.state === 'open') sink.enqueue(HEARTBEAT_FRAME);
    }, this.#o.heartbeatS * 1000);
    this.#timer.unref();
  }

  #stopHeartbeat(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
