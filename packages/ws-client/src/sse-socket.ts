import { formatStreamCursor, type ChannelName, type StreamCursor } from '@ns/contracts/wire';
import { SseParser } from './sse-parser.js';
import type { WebSocketLike } from './websocket-like.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (event: any) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** HTTP status of a refused stream → the close code /ws would have used (docs/protocol.md#close-codes). */
const closeCodeOf = (status: number): number => ({ 401: 4001, 403: 4003, 429: 4002, 400: 1008, 404: 1008 })[status] ?? 1011;

/** `ws://host/ws?…` → `http://host/v1/stream` (the stream lives beside the WebSocket endpoint). */
export function streamUrlOf(wsUrl: string): URL {
  const u = new URL(wsUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = u.pathname.replace(/\/ws$/, '') + '/v1/stream';
  u.search = '';
  return u;
}

/**
 * The gateway's Server-Sent Events stream (`GET /v1/stream`) behind the {@link WebSocketLike} the client
 * drives, so everything above it — resume cursors, dedup, gap events, close codes, backoff — is the
 * WebSocket code unchanged. Read with `fetch` (it sends `Authorization` and sees HTTP statuses, which
 * EventSource hides). A stream's channels are fixed, so `subscribe`/`unsubscribe` open a new stream for
 * the new set, resuming every channel from the last position seen; `ping` is answered here while the
 * stream shows life (events or heartbeat comments).
 */
export class SseSocket implements WebSocketLike {
  readonly transport = 'sse';
  readonly protocol = '';
  readyState = CONNECTING;
  readonly #url: URL;
  readonly #listeners = new Map<string, Listener[]>();
  #token: string | undefined;
  #authId: string | undefined;
  readonly #channels = new Map<ChannelName, { filter?: unknown; id?: string }>();
  readonly #cursor: StreamCursor = {};
  #stream: AbortController | undefined;
  #welcomed = false;
  #reopen: ReturnType<typeof setTimeout> | undefined;
  #lastByteAt = Date.now();
  #heartbeatMs = 25_000;

  constructor(url: string) {
    this.#url = streamUrlOf(url);
    setTimeout(() => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.#fire('open');
      // The client sends `auth` from its open listener; the first stream starts after it.
      this.#scheduleOpen();
    }, 0);
  }

  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: Listener): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener);
    this.#listeners.set(type, list);
  }

  send(data: string): void {
    const m = JSON.parse(data) as Json;
    switch (m.type) {
      case 'auth':
        this.#token = m.token as string;
        this.#authId = m.id as string | undefined;
        if (this.#welcomed) this.#deliver({ type: 'authenticated', ...(m.id === undefined ? {} : { id: m.id }), principal: null, expires_at: null });
        return;
      case 'subscribe': {
        const channel = m.channel as ChannelName;
        if (m.since !== undefined) this.#cursor[channel] = m.since;
        this.#channels.set(channel, { filter: m.filter, id: m.id });
        this.#scheduleOpen();
        return;
      }
      case 'unsubscribe':
        this.#channels.delete(m.channel as ChannelName);
        this.#deliver({ type: 'unsubscribed', ...(m.id === undefined ? {} : { id: m.id }), channel: m.channel });
        this.#scheduleOpen();
        return;
      case 'ping':
        // Alive while bytes keep coming: the heartbeat comment arrives every heartbeat_s.
        if (Date.now() - this.#lastByteAt < this.#heartbeatMs + 10_000) this.#deliver({ type: 'pong', ...(m.id === undefined ? {} : { id: m.id }), server_time: Date.now() / 1000 });
        return;
      default:
        return;
    }
  }

  close(code = 1000, reason = ''): void {
    this.#end(code, reason);
  }

  #fire(type: string, event?: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l(event);
  }

  #deliver(message: Json): void {
    if (this.readyState === OPEN) this.#fire('message', { data: JSON.stringify(message) });
  }

  #end(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    clearTimeout(this.#reopen);
    this.#stream?.abort();
    this.#stream = undefined;
    this.#fire('close', { code, reason });
  }

  /** Opens (or re-opens) the stream for the current channel set once the current turn's messages are in. */
  #scheduleOpen(): void {
    if (this.readyState !== OPEN) return;
    clearTimeout(this.#reopen);
    this.#reopen = setTimeout(() => void this.#open(), 0);
  }

  async #open(): Promise<void> {
    this.#stream?.abort();
    const controller = new AbortController();
    this.#stream = controller;
    const url = new URL(this.#url);
    const channels = [...this.#channels.keys()];
    if (channels.length > 0) url.searchParams.set('channels', channels.join(','));
    for (const [channel, { filter }] of this.#channels) if (filter !== undefined) url.searchParams.set(`filter.${channel}`, JSON.stringify(filter));
    const since = formatStreamCursor(Object.fromEntries(channels.flatMap((c) => (this.#cursor[c] === undefined ? [] : [[c, this.#cursor[c]]]))));
    if (since !== '') url.searchParams.set('since', since);
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'text/event-stream', ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }) }, signal: controller.signal });
    } catch {
      if (this.#stream === controller) this.#end(1006, 'stream request failed');
      return;
    }
    if (this.#stream !== controller) return;
    if (res.status !== 200 || res.body === null) {
      let message = `HTTP ${res.status}`;
      try {
        const body = (await res.json()) as Json;
        message = String(body.error?.message ?? message);
        if (body.error !== undefined) this.#deliver({ type: 'error', code: body.error.code, message, ...(body.error.details === undefined ? {} : { details: body.error.details }) });
      } catch {
        // not an error body
      }
      this.#end(closeCodeOf(res.status), message.slice(0, 120));
      return;
    }
    await this.#read(res.body, controller);
  }

  async #read(body: ReadableStream<Uint8Array>, controller: AbortController): Promise<void> {
    let closeCode = 1006;
    let reason = 'stream ended';
    const parser = new SseParser(
      (e) => {
        const m = JSON.parse(e.data) as Json;
        if (m.type === 'welcome') {
          this.#heartbeatMs = Number(m.heartbeat_s) * 1000;
          // One welcome per client connection: later streams of the same "socket" only re-subscribe.
          if (this.#welcomed) return;
          this.#welcomed = true;
          this.#deliver(m);
          if (this.#token !== undefined) this.#deliver({ type: 'authenticated', ...(this.#authId === undefined ? {} : { id: this.#authId }), principal: m.principal, expires_at: null });
          return;
        }
        if (m.type === 'subscribed') {
          const id = this.#channels.get(m.channel as ChannelName)?.id;
          this.#remember(m.channel as ChannelName, m.epoch as string, m.seq as number, m.replayed === 0);
          this.#deliver({ ...m, ...(id === undefined ? {} : { id }) });
          return;
        }
        if (typeof m.seq === 'number' && typeof m.ts === 'number') this.#remember(m.channel as ChannelName, m.epoch as string, m.seq, true);
        if (m.type === 'error' && typeof m.details?.close_code === 'number') {
          closeCode = m.details.close_code as number;
          // The reason /ws would have closed with (e.g. the administrator's), else the error code.
          reason = typeof m.details.close_reason === 'string' ? m.details.close_reason : String(m.code);
        }
        this.#deliver(m);
      },
      () => undefined,
    );
    const decoder = new TextDecoder();
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#lastByteAt = Date.now();
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      // aborted (a re-open or close) or the connection died
    }
    if (this.#stream === controller) this.#end(closeCode, reason);
  }

  #remember(channel: ChannelName, epoch: string, seq: number, advance: boolean): void {
    if (!advance) return;
    this.#cursor[channel] = { epoch, seq };
  }
}
