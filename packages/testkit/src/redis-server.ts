import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { runsWith } from './prerequisites.js';

/**
 * A private `redis-server` for tests: its own port, its own temp dir, no persistence (`--save ""
 * --appendonly no`), so a test can kill and restart it and get an empty Redis, exactly like a
 * production Redis without persistence. It never touches a Redis already running on the machine.
 */
export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** Pid of the running server, or undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same port (empty, since nothing was persisted). */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  /** SIGSTOP: a hung Redis, its connections still open, answering nothing. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Stop for good and remove the temp dir. */
  close(): Promise<void>;
}

/** The Debian package providing the binary, named in the skip message. */
export const REDIS_SERVER_PACKAGE = 'redis-server';

/** `NS_REDIS_SERVER_BIN` names the binary explicitly (and alone); else /usr/bin, then PATH. */
function findRedisServer(): string | undefined {
  const explicit = process.env['NS_REDIS_SERVER_BIN'];
  const candidates =
    explicit !== undefined
      ? [explicit]
      : ['/usr/bin/redis-server', ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'redis-server'))];
  for (const c of candidates) {
    if (c === '') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Path of the redis-server binary, or undefined when it is not installed. */
export const redisServerBin = findRedisServer();

/**
 * True when the Redis suites should run: redis-server is installed, or CI requires them (then they
 * fail on its absence instead of skipping).
 */
export const hasRedisServer = runsWith(redisServerMissing(), 'Redis engine tests');

/** What is missing to start a test redis-server (naming the Debian package), or undefined. */
export function redisServerMissing(): string | undefined {
  return redisServerBin === undefined ? `redis-server not found; install the Debian package "${REDIS_SERVER_PACKAGE}" (apt-get install ${REDIS_SERVER_PACKAGE})` : undefined;
}

function launch(bin: string, port: number, dir: string, extra: readonly string[]): Promise<ChildProcess> {
  const child = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // A test run that dies (or a bench cut short) must not leave its server behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        // Keep draining the pipes so the server never blocks on a full stdout.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Further redis-server arguments for the port it got (kept for restarts), e.g. cluster mode. */
  args?(port: number): Promise<string[]> | string[];
}

/** Starts a private redis-server on a free port; throws when the binary is missing. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const bin = redisServerBin;
  if (bin === undefined) throw new Error(`redis-server not found; install the Debian package "${REDIS_SERVER_PACKAGE}"`);
  const dir = mkdtempSync(join(tmpdir(), 'ns-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  let extra: string[] = [];
  // The port is free when probed but could be taken before redis binds it: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    extra = (await options.args?.(port)) ?? [];
    try {
      child = await launch(bin, port, dir, extra);
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
  let current: ChildProcess | undefined = child;

  const kill = async () => {
    const c = current;
    current = undefined;
    if (c === undefined) return;
    c.kill('SIGKILL');
    await exited(c);
  };
  const signal = (name: NodeJS.Signals) => {
    if (current?.pid === undefined) throw new Error(`redis-server on port ${port} is not running`);
    process.kill(current.pid, name);
  };
  const start = async () => {
    if (current !== undefined) return;
    current = await launch(bin, port, dir, extra);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current?.pid;
    },
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const redisCli = redisServerBin === undefined ? undefined : join(dirname(redisServerBin), 'redis-cli');

/** Runs one command against a test server with `redis-cli` (installed with Debian's redis-server). */
export async function redisCommand(server: { readonly port: number }, ...args: string[]): Promise<string> {
  if (redisCli === undefined || !existsSync(redisCli)) throw new Error('redis-cli not found next to redis-server');
  const { stdout } = await promisify(execFile)(redisCli, ['-h', '127.0.0.1', '-p', String(server.port), ...args]);
  return stdout.trim();
}
