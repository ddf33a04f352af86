import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The gateway's built bin (`npm test` builds it first). */
export const GATEWAY_CLI = fileURLToPath(new URL('../../../../apps/gateway/dist/cli.js', import.meta.url));

/** What keeps the end-to-end tests from spawning the gateway, or undefined when it is built. */
export const gatewayMissing = (): string | undefined =>
  existsSync(GATEWAY_CLI) ? undefined : `${GATEWAY_CLI} is not built (run \`npm run build\`)`;

/** A real `ns-gateway start` process on a loopback port. */
export class GatewayProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly url: string;

  private constructor(child: ChildProcess, url: string, exited: Promise<number | null>) {
    this.#child = child;
    this.url = url;
    this.#exited = exited;
  }

  /**
   * Starts the gateway with `env` on top of a minimal environment; resolves once it listens. Without
   * JWT key material the gateway keeps protected channels closed, so auth is off (loopback) unless
   * the caller configures a key.
   */
  static async start(env: Record<string, string> = {}): Promise<GatewayProcess> {
    const auth = env.NS_JWT_SECRET === undefined && env.NS_JWT_PUBLIC_KEY_FILE === undefined ? { NS_AUTH: 'none' } : {};
    const child = spawn(process.execPath, [GATEWAY_CLI, 'start'], {
      env: {
        PATH: process.env.PATH ?? '',
        // Set by `npm run coverage`, so the gateway's coverage is part of the report.
        ...(process.env.NODE_V8_COVERAGE === undefined ? {} : { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE }),
        NS_HOST: '127.0.0.1',
        NS_PORT: '0',
        NS_LOG_LEVEL: 'info',
        ...auth,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening on (http:\/\/[^\s"\\]+)/.exec(output);
        if (match?.[1] !== undefined) {
          child.stdout?.off('data', onData);
          child.stderr?.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`gateway exited with ${code} before listening:\n${output.slice(-2000)}`)));
    });
    // Keep draining the pipes so a chatty gateway never blocks on a full stdout.
    child.stdout?.resume();
    child.stderr?.resume();
    return new GatewayProcess(child, url, exited);
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Stops the process (SIGTERM = graceful drain with 1001 closes) and resolves with its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    return this.#exited;
  }

  /** POST /v1/publish with a batch; resolves with the results. */
  async publish(events: readonly object[]): Promise<{ id: string; channel: string; seq: number }[]> {
    const response = await fetch(`${this.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const body = (await response.json()) as { results?: { id: string; channel: string; seq: number }[] };
    if (response.status !== 202 || body.results === undefined) throw new Error(`publish failed: ${response.status} ${JSON.stringify(body)}`);
    return body.results;
  }
}

/** A valid `threat.new` publish request with a caller-chosen id. */
export function threatEvent(id: string, score = 5): object {
  return {
    type: 'threat.new',
    id,
    data: { source_ip: '203.0.113.7', threat_score: score, threat_level: 'high', timestamp: Date.now() / 1000 },
  };
}
