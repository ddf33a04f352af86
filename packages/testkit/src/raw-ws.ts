import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** A server message as loosely typed JSON: tests assert on its shape. */
export type Msg = Record<string, any>;

export const OPCODE = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** One client → server frame, masked as RFC 6455 requires (unless `mask: false`, to test that too). */
export function clientFrame(opcode: number, payload: Buffer | string, options: { fin?: boolean; mask?: boolean } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = options.fin ?? true;
  const masked = options.mask ?? true;
  const len = data.length;
  const header = len < 126 ? Buffer.alloc(2) : len < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) header[1] = len;
  else if (len < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([header, data]);
  header[1] = (header[1] as number) | 0x80;
  const key = randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, key, body]);
}

/** Options of {@link RawWs.connect} and {@link upgrade}. */
export interface UpgradeOptions {
  path?: string;
  headers?: Record<string, string>;
  /** Source address, e.g. 127.0.0.2: another loopback "client IP" without any proxy header. */
  localAddress?: string;
}

function upgradeRequest(port: number, o: UpgradeOptions): string {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...o.headers,
  };
  return `GET ${o.path ?? '/ws'} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** Sends an upgrade request and resolves with the response status (101 or the refusal), then closes. */
export async function upgradeStatus(port: number, o: UpgradeOptions = {}): Promise<number> {
  const socket = connect({ port, host: '127.0.0.1', ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }) });
  socket.on('error', () => {});
  let head = '';
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => socket.write(upgradeRequest(port, o)));
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (head.includes('\r\n')) resolve();
      });
      socket.once('close', () => reject(new Error(`closed before a status line (${JSON.stringify(head)})`)));
    });
  } finally {
    socket.destroy();
  }
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
}

/**
 * A WebSocket client written against the raw TCP socket, so tests can send what no well-behaved
 * library would: invalid UTF-8, fragments, oversized or lying length headers, unmasked frames. It
 * decodes server frames, answers pings and close frames like a normal client, and records messages.
 */
export class RawWs {
  readonly socket: Socket;
  readonly messages: Msg[] = [];
  /** Close code from the server's close frame, once received. */
  closeCode: number | undefined;
  /** Pings received from the server. */
  pings = 0;
  /** Answer protocol pings (a healthy client); false plays a client that stopped responding. */
  autoPong = true;
  /** Resolves when the TCP connection has closed, with the server's close code (undefined if none came). */
  readonly closed: Promise<number | undefined>;
  #buffer: Buffer = Buffer.alloc(0);
  #waiters: { match: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.closeCode)));
    socket.on('data', (d: Buffer) => this.#onData(d));
    if (rest.length > 0) this.#onData(rest);
  }

  /** Opens a WebSocket and waits for `welcome`; rejects with the refusal status, or the close code if it closes first. */
  static async connect(port: number, o: UpgradeOptions = {}): Promise<RawWs> {
    const ws = await RawWs.upgrade(port, o);
    const welcome = await Promise.race([ws.next((m) => m.type === 'welcome'), ws.closed.then(() => undefined)]);
    if (welcome === undefined) {
      throw Object.assign(new Error(`closed (${ws.closeCode}) before welcome: ${JSON.stringify(ws.messages)}`), { closeCode: ws.closeCode, messages: ws.messages });
    }
    return ws;
  }

  /** Completes the upgrade (101) and returns at once, before `welcome`; rejects with the refusal status. */
  static async upgrade(port: number, o: UpgradeOptions = {}): Promise<RawWs> {
    const socket = connect({ port, host: '127.0.0.1', ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }) });
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.off('close', onClose);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.toString('latin1'))?.[1]);
        if (status !== 101) {
          socket.destroy();
          reject(Object.assign(new Error(`upgrade refused: ${status}`), { status }));
        } else resolve(head.subarray(end + 4));
      };
      const onClose = () => reject(new Error('closed during the upgrade'));
      socket.once('connect', () => socket.write(upgradeRequest(port, o)));
      socket.on('data', onData);
      socket.once('close', onClose);
    });
    return new RawWs(socket, rest);
  }

  /** Writes raw bytes (one or more frames, or parts of one). */
  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Sends one masked text frame holding `message` (JSON-encoded unless already a string). */
  send(message: object | string): void {
    this.write(clientFrame(OPCODE.TEXT, typeof message === 'string' ? message : JSON.stringify(message)));
  }

  /** Sends `message` with an `id` and waits for the reply echoing it. */
  async request(message: Msg): Promise<Msg> {
    const id = (message.id as string | undefined) ?? `r${this.messages.length}-${Math.random().toString(36).slice(2)}`;
    const from = this.messages.length;
    this.send({ ...message, id });
    return this.next((m) => m.id === id, from);
  }

  /** The first message (from index `from`) matching `match`, waiting for it if needed. */
  next(match: (m: Msg) => boolean, from = 0): Promise<Msg> {
    const found = this.messages.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Events (envelopes) received so far, optionally of one channel. */
  events(channel?: string): Msg[] {
    return this.messages.filter((m) => typeof m.type === 'string' && m.type.includes('.') && (channel === undefined || m.channel === channel));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = (b[0] as number) & 0x0f;
      let len = (b[1] as number) & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + len) return;
      const payload = b.subarray(offset, offset + len);
      this.#buffer = b.subarray(offset + len);
      this.#onFrame(opcode, payload);
    }
  }

  #onFrame(opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.PING) {
      this.pings++;
      if (this.autoPong && !this.socket.destroyed) this.write(clientFrame(OPCODE.PONG, payload));
      return;
    }
    if (opcode === OPCODE.CLOSE) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      // Complete the closing handshake, as a browser would.
      if (!this.socket.destroyed) this.socket.end(clientFrame(OPCODE.CLOSE, payload.subarray(0, 2)));
      return;
    }
    if (opcode !== OPCODE.TEXT) return;
    const text = payload.toString('utf8');
    let message: Msg;
    try {
      message = JSON.parse(text) as Msg;
    } catch {
      message = { unparsed: text };
    }
    this.messages.push(message);
    for (const w of [...this.#waiters]) {
      if (w.match(message)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
  }
}
