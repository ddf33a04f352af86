import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { clientFrame, FrameReader } from './frame-reader.js';
import { SseReader } from './sse-reader.js';

/** Which server protocol a subscriber speaks: after the HTTP upgrade, or `sse` (the gateway's `GET /v1/stream`). */
export type WireProtocol = 'ns' | 'plain' | 'socketio' | 'sse';

/** A resume cursor: the gateway's `since`, or Socket.IO's connection-state-recovery session. */
export interface ResumeCursor {
  epoch: string;
  seq: number;
  pid: string;
  offset: string;
}

/** Options of {@link RawSubscriber}. */
export interface RawSubscriberOptions {
  protocol: WireProtocol;
  host: string;
  port: number;
  /** Loopback source address (127.0.0.x): each has its own ~28k ephemeral ports. */
  localAddress: string;
  filter: Record<string, unknown> | undefined;
  /** Parse every event (seq continuity, resume cursor); otherwise frames are only counted. */
  track: boolean;
  connectTimeoutMs: number;
}

const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const PONG = 0xa;
const TEXT = 0x1;
const SEQ = Buffer.from('"seq":');

/** One read buffer for every socket of the process: reads are handled synchronously, one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Shared by every subscriber of a process: when the last byte arrived (performance.now()). */
export const lastData = { at: 0 };

/**
 * One load-generating subscriber on a raw TCP socket: it performs the HTTP upgrade and the protocol's
 * setup (gateway: welcome → subscribe → subscribed; plain ws: subscribe → subscribed; Socket.IO:
 * open → CONNECT → subscribe event → subscribed) by parsing those few replies, then only counts
 * frames (or, with `track`, reads each event's seq to check continuity and resume later). With `sse`
 * it sends `GET /v1/stream?channels=threats` (filter and resume cursor in the query) and reads the
 * same messages as SSE events of the chunked response.
 */
export class RawSubscriber {
  readonly options: RawSubscriberOptions;
  readonly reader: FrameReader | SseReader;
  socket: net.Socket | undefined;
  state: 'idle' | 'setup' | 'ready' | 'closed' = 'idle';
  /** Engine.IO pings counted as text frames, to subtract from deliveries. */
  controlFrames = 0;
  // Tracking (with `track`): the cursor and what continuity checks found.
  epoch = '';
  lastSeq = 0;
  pid = '';
  offset = '';
  events = 0;
  gaps = 0;
  duplicates = 0;
  recovered: boolean | undefined;
  /** performance.now() at connect, at `subscribed`, and when `lastSeq` reached `targetSeq`. */
  startedAt = 0;
  readyAt = 0;
  caughtUpAt = 0;
  targetSeq = Number.POSITIVE_INFINITY;

  #resume: ResumeCursor | undefined;
  #settle: ((err?: Error) => void) | undefined;

  constructor(options: RawSubscriberOptions) {
    this.options = options;
    this.reader = options.protocol === 'sse' ? new SseReader({ onText: (payload) => this.#onText(payload), onClose: () => this.destroy() }) : new FrameReader({
      onText: (payload) => this.#onText(payload),
      onPing: (payload) => this.#send(clientFrame(PONG, payload)),
      onClose: () => this.destroy(),
    });
    // Engine.IO's ping is the 1-byte text frame "2"; it must be answered even while only counting.
    if (options.protocol === 'socketio') this.reader.captureTextUpTo = 1;
  }

  /** Connects and subscribes; resolves at `subscribed`. With `resume`, subscribes from that cursor. */
  connect(resume?: ResumeCursor): Promise<void> {
    this.#resume = resume;
    this.state = 'setup';
    this.reader.capture = true;
    this.startedAt = performance.now();
    this.readyAt = 0;
    this.caughtUpAt = 0;
    this.reader.resetFraming();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error('connect timeout')), this.options.connectTimeoutMs);
      const finish = (err?: Error) => {
        if (this.#settle === undefined) return;
        this.#settle = undefined;
        clearTimeout(timer);
        if (err === undefined) resolve();
        else {
          this.destroy();
          reject(err);
        }
      };
      this.#settle = finish;
      const { protocol, host, port, localAddress } = this.options;
      let head = '';
      let upgraded = false;
      // `onread` hands each read to a callback in one shared buffer: no Buffer per read and no stream
      // machinery, which is most of what a 'data' listener costs per delivered frame.
      const socket = net.connect({
        host,
        port,
        localAddress,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread: number, buf: Uint8Array) => {
            lastData.at = performance.now();
            const chunk = (buf as Buffer).subarray(0, nread);
            if (upgraded) {
              this.reader.push(chunk);
              return true;
            }
            head += chunk.toString('latin1');
            const end = head.indexOf('\r\n\r\n');
            if (end === -1) return true;
            if (!head.startsWith(protocol === 'sse' ? 'HTTP/1.1 200' : 'HTTP/1.1 101')) {
              finish(new Error(head.slice(0, head.indexOf('\r\n'))));
              return false;
            }
            if (protocol === 'sse' && !/\r\ntransfer-encoding: *chunked\r\n/i.test(head.slice(0, end + 2))) {
              finish(new Error('GET /v1/stream: expected a chunked response'));
              return false;
            }
            upgraded = true;
            if (protocol === 'plain') this.#subscribe();
            const rest = chunk.subarray(chunk.length - (head.length - end - 4));
            if (rest.length > 0) this.reader.push(rest);
            return true;
          },
        },
      } as net.NetConnectOpts);
      this.socket = socket;
      socket.on('error', (err) => finish(err));
      socket.on('close', () => {
        // A socket dropped before a reconnect closes late: it must not mark the new one closed.
        if (this.socket !== socket) return;
        this.state = 'closed';
        finish(new Error('closed during setup'));
      });
      socket.on('connect', () => {
        if (protocol === 'sse') {
          socket.write(`GET ${this.#streamPath()} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
          return;
        }
        const path = protocol === 'socketio' ? '/socket.io/?EIO=4&transport=websocket' : '/ws';
        const sub = protocol === 'ns' ? 'Sec-WebSocket-Protocol: ns.v1\r\n' : '';
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${WS_KEY}\r\n${sub}\r\n`,
        );
      });
    });
  }

  /** Abrupt client-side close (a network blip): no close frame. */
  destroy(): void {
    this.state = 'closed';
    this.socket?.destroy();
  }

  /** Deliveries since the last {@link resetCounters}. */
  get delivered(): number {
    return this.reader.textFrames - this.controlFrames;
  }

  resetCounters(): void {
    this.reader.resetCounters();
    this.controlFrames = 0;
    this.events = 0;
  }

  /** `/v1/stream` with the subscription in the query: channel, filter, resume cursor. */
  #streamPath(): string {
    const { filter } = this.options;
    const r = this.#resume;
    let q = 'channels=threats';
    if (filter !== undefined) q += `&filter.threats=${encodeURIComponent(JSON.stringify(filter))}`;
    if (r !== undefined && r.epoch !== '') q += `&since=${encodeURIComponent(`threats:${encodeURIComponent(r.epoch)}:${r.seq}`)}`;
    return `/v1/stream?${q}`;
  }

  #send(frame: Buffer): void {
    if (this.socket !== undefined && !this.socket.destroyed) this.socket.write(frame);
  }

  #sendText(text: string): void {
    this.#send(clientFrame(TEXT, Buffer.from(text)));
  }

  #subscribe(): void {
    const { protocol, filter } = this.options;
    const r = this.#resume;
    if (protocol === 'socketio') {
      this.#sendText(`42${JSON.stringify(['subscribe', filter === undefined ? {} : { filter }])}`);
      return;
    }
    const since = protocol === 'ns' && r !== undefined && r.epoch !== '' ? { since: { epoch: r.epoch, seq: r.seq } } : {};
    this.#sendText(JSON.stringify({ type: 'subscribe', channel: 'threats', ...(filter === undefined ? {} : { filter }), ...since }));
  }

  #onText(payload: Buffer): void {
    const first = payload[0];
    if (this.options.protocol === 'socketio') {
      if (payload.length === 1) {
        this.controlFrames++;
        if (first === 0x32 /* '2' ping */) this.#sendText('3');
        return;
      }
      if (this.state === 'ready' && payload[2] === 0x5b /* 42[ */ && payload[4] === 0x65 /* "event" */) {
        this.#onEvent(payload);
        return;
      }
      const text = payload.toString();
      if (text.startsWith('0{')) {
        const r = this.#resume;
        this.#sendText(r !== undefined && r.pid !== '' ? `40${JSON.stringify({ pid: r.pid, offset: r.offset })}` : '40');
      } else if (text.startsWith('40')) {
        const pid = (JSON.parse(text.slice(2)) as { pid?: string }).pid;
        if (pid !== undefined) this.pid = pid;
        this.#subscribe();
      } else if (text.startsWith('42["subscribed"')) {
        const [, reply] = JSON.parse(text.slice(2)) as [string, { recovered?: boolean }];
        this.recovered = reply.recovered;
        this.#ready();
      } else if (text.startsWith('42["event"')) {
        // Replayed before `subscribed` (Socket.IO sends missed packets first).
        this.#onEvent(payload);
      } else if (text.startsWith('44') || text.startsWith('41')) {
        this.#settle?.(new Error(`socket.io refused: ${text.slice(0, 120)}`));
      }
      return;
    }
    // Gateway (both transports) and plain ws: JSON objects; events start with {"type":"threat.
    if (payload[9] === 0x74 /* t */ && payload[10] === 0x68 /* h */) {
      this.#onEvent(payload);
      return;
    }
    const text = payload.toString();
    if (text.startsWith('{"type":"welcome"')) {
      if (this.options.protocol !== 'sse') this.#subscribe();
    }
    else if (text.startsWith('{"type":"subscribed"')) {
      const reply = JSON.parse(text) as { epoch?: string; seq?: number; recovered?: boolean };
      if (reply.epoch !== undefined) this.epoch = reply.epoch;
      if (reply.seq !== undefined && this.#resume === undefined) this.lastSeq = reply.seq;
      this.recovered = reply.recovered;
      this.#ready();
    } else if (text.startsWith('{"type":"error"')) this.#settle?.(new Error(text.slice(0, 200)));
  }

  #ready(): void {
    this.state = 'ready';
    this.readyAt = performance.now();
    this.reader.capture = this.options.track;
    if (this.lastSeq >= this.targetSeq && this.caughtUpAt === 0) this.caughtUpAt = this.readyAt;
    this.#settle?.();
  }

  #onEvent(payload: Buffer): void {
    this.events++;
    if (!this.options.track) return;
    const at = payload.indexOf(SEQ);
    let seq = 0;
    for (let i = at + SEQ.length; i < payload.length; i++) {
      const c = payload[i] as number;
      if (c < 0x30 || c > 0x39) break;
      seq = seq * 10 + (c - 0x30);
    }
    // Filtered subscribers see a subset, so only an unfiltered one can tell a gap.
    if (seq <= this.lastSeq) this.duplicates++;
    else if (this.options.filter === undefined && this.lastSeq !== 0 && seq !== this.lastSeq + 1) this.gaps++;
    if (seq > this.lastSeq) this.lastSeq = seq;
    if (this.options.protocol === 'socketio' && payload[payload.length - 2] === 0x22 /* ..."offset"] */) {
      const end = payload.length - 2;
      this.offset = payload.toString('latin1', payload.lastIndexOf(0x22, end - 1) + 1, end);
    }
    if (this.caughtUpAt === 0 && this.lastSeq >= this.targetSeq) this.caughtUpAt = performance.now();
  }
}
