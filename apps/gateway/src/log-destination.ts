import { write as fsWrite, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/** Log bytes held while the reader is slower than the writer; beyond it lines are dropped and counted. */
export const MAX_PENDING_LOG_BYTES = 8 * 1024 * 1024;
// How long an exit-time flush may wait for a full (but alive) pipe, in total.
const FLUSH_RETRY_MS = 10;
const FLUSH_MAX_RETRIES = 20;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * The log destination for a file descriptor (stdout): asynchronous writes with a bounded buffer, and
 * a closed reader (EPIPE, e.g. `ns-gateway start | tee log` after tee died) handled once and for all:
 * logging to that descriptor stops, one line says so on `noticeFd` (stderr), and the gateway keeps
 * serving. pino's own stdout stream (sonic-boom) retries a failed synchronous flush forever when
 * the process exits with lines pending, so a signal-driven exit hung on EPIPE until SIGKILL; here the
 * exit-time flush writes once (a full pipe gets a bounded number of short retries) and gives up.
 */
export class FdLogDestination extends Writable {
  readonly fd: number;
  readonly #noticeFd: number | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #writing = false;
  #broken: NodeJS.ErrnoException | undefined;
  /** Lines dropped because the buffer was full or the descriptor is closed. */
  dropped = 0;

  constructor(fd: number, options: { noticeFd?: number } = {}) {
    super({ decodeStrings: true });
    this.fd = fd;
    this.#noticeFd = options.noticeFd;
  }

  /** The error that closed this destination for good, if any. */
  get broken(): NodeJS.ErrnoException | undefined {
    return this.#broken;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Never back-pressure or fail the logger: a log line must not stall or crash the gateway.
    if (this.#broken !== undefined || this.#pendingBytes + chunk.length > MAX_PENDING_LOG_BYTES) this.dropped++;
    else {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (!this.#writing) this.#pump();
    }
    callback();
  }

  #pump(): void {
    if (this.#pending.length === 0 || this.#broken !== undefined) return;
    const data = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = true;
    fsWrite(this.fd, data, (err, written) => {
      this.#writing = false;
      if (err !== null) {
        if (err.code === 'EAGAIN' || err.code === 'EBUSY') {
          this.#requeue(data);
          setTimeout(() => this.#pump(), FLUSH_RETRY_MS).unref();
          return;
        }
        this.#break(err);
        return;
      }
      if (written < data.length) this.#requeue(data.subarray(written));
      this.#pump();
    });
  }

  #requeue(data: Buffer): void {
    this.#pending.unshift(data);
    this.#pendingBytes += data.length;
  }

  #break(err: NodeJS.ErrnoException): void {
    if (this.#broken !== undefined) return;
    this.#broken = err;
    this.dropped += this.#pending.length;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#noticeFd === undefined) return;
    try {
      writeSync(this.#noticeFd, `ns-gateway: log output on fd ${this.fd} failed (${err.code ?? err.message}); logging there stopped, the gateway keeps running\n`);
    } catch {
      // stderr is gone too: nobody is listening.
    }
  }

  /**
   * Writes what is still pending, synchronously (at process exit, when no callback will run). Gives
   * up at the first error but a full pipe, and after a bounded wait for that one; never loops.
   */
  flushSync(): void {
    let retries = 0;
    while (this.#pending.length > 0 && this.#broken === undefined) {
      const data = Buffer.concat(this.#pending);
      try {
        const written = writeSync(this.fd, data);
        this.#pending = written < data.length ? [data.subarray(written)] : [];
        this.#pendingBytes = data.length - written;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if ((e.code === 'EAGAIN' || e.code === 'EBUSY') && retries++ < FLUSH_MAX_RETRIES) {
          sleep(FLUSH_RETRY_MS);
          continue;
        }
        this.#break(e);
      }
    }
  }
}

let stdoutDestination: FdLogDestination | undefined;

/** The process's stdout log destination (one per process), flushed at exit; notices go to stderr. */
export function stdoutLogDestination(): FdLogDestination {
  if (stdoutDestination === undefined) {
    const destination = new FdLogDestination(1, { noticeFd: 2 });
    process.on('exit', () => destination.flushSync());
    stdoutDestination = destination;
  }
  return stdoutDestination;
}
