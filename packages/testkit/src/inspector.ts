import WebSocket from 'ws';

interface Reply {
  id: number;
  result?: { result?: { type: string; value?: unknown; description?: string }; exceptionDetails?: { text: string } };
  error?: { message: string };
}

/**
 * A minimal Chrome DevTools Protocol client for a gateway started with `--inspect`: evaluates an
 * expression in the gateway's main context. Lets tests look inside the real process (is
 * `Object.prototype` polluted?) and stall its event loop, with no test hook in the product.
 */
export class Inspector {
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  #nextId = 1;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as Reply;
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  /** Evaluates `expression` in the gateway and returns its value (JSON-serializable results only). */
  async evaluate(expression: string): Promise<unknown> {
    const reply = await this.#call('Runtime.evaluate', { expression, returnByValue: true });
    if (reply.result?.exceptionDetails !== undefined) throw new Error(`inspector: ${reply.result.exceptionDetails.text}`);
    return reply.result?.result?.value;
  }

  async #call(method: string, params: object): Promise<Reply> {
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
    if (reply.error !== undefined) throw new Error(`inspector: ${method}: ${reply.error.message}`);
    return reply;
  }

  /** Forces a full garbage collection in the gateway (HeapProfiler.collectGarbage). */
  async collectGarbage(): Promise<void> {
    await this.#call('HeapProfiler.collectGarbage', {});
  }

  /** Heap in use after a full GC, in MiB: a steadier leak signal than RSS. */
  async heapUsedMiB(): Promise<number> {
    await this.collectGarbage();
    return ((await this.evaluate('process.memoryUsage().heapUsed')) as number) / 1024 / 1024;
  }

  /** Blocks the gateway's event loop for `ms` (a synchronous busy loop), resolving when it is over. */
  async stall(ms: number): Promise<void> {
    await this.evaluate(`(() => { const end = Date.now() + ${ms}; while (Date.now() < end); return true; })()`);
  }

  /** Whether anything was written onto `Object.prototype` in the gateway (e.g. `polluted`). */
  async pollutedKeys(): Promise<string[]> {
    return (await this.evaluate('Object.getOwnPropertyNames(Object.prototype).filter((k) => !["constructor","__defineGetter__","__defineSetter__","hasOwnProperty","__lookupGetter__","__lookupSetter__","isPrototypeOf","propertyIsEnumerable","toString","valueOf","__proto__","toLocaleString"].includes(k))')) as string[];
  }

  close(): void {
    this.#ws.terminate();
  }
}
