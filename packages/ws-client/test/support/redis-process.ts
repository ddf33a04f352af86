import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** What is missing of a `redis-server` binary and the built Redis engine package, or undefined. */
export function redisMissing(): string | undefined {
  if (!existsSync(fileURLToPath(new URL('../../../event-bus-redis/dist/index.js', import.meta.url)))) {
    return '@ns/event-bus-redis is not built (run `npm run build`)';
  }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return 'redis-server not found (apt-get install redis-server)';
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A throwaway `redis-server` on a free loopback port, without persistence. */
export class RedisProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly url: string;

  private constructor(child: ChildProcess, url: string) {
    this.#child = child;
    this.url = url;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(): Promise<RedisProcess> {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output.slice(-1000)}`)));
    });
    child.stdout?.resume();
    child.stderr?.resume();
    return new RedisProcess(child, `redis://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
