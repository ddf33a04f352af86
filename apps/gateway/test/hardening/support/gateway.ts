import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inspector } from './inspector.js';

/** The built bin, run exactly as an operator runs it. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'cli.js');

/** Options of {@link launchGateway}. */
export interface LaunchOptions {
  /** NS_* variables (NS_PORT defaults to 0, NS_LOG_LEVEL to warn; the caller's NS_* never leak in). */
  env?: Record<string, string>;
  /**
   * Start with the V8 inspector on a random loopback port, so a test can evaluate code inside the
   * gateway (read `({}).polluted`, stall the event loop) without any test hook in the product.
   */
  inspect?: boolean;
}

/** A running `ns-gateway start` child process. */
export interface GatewayUnderTest {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Connected when launched with `inspect`. */
  readonly inspector: Inspector | undefined;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resident set size (VmRSS) in MiB, from /proc. */
  rssMiB(): number;
  /** Open file descriptors (sockets included), from /proc. */
  openFds(): number;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

const running = new Set<GatewayUnderTest>();

function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  return { ...base, NS_PORT: '0', NS_LOG_LEVEL: 'warn', ...env };
}

/** A loopback port that was free a moment ago (for a gateway that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the built gateway and resolves once its banner names the URL (and the inspector is attached). */
export async function launchGateway(options: LaunchOptions = {}): Promise<GatewayUnderTest> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (the root \`npm test\` does).`);
  const args = [...(options.inspect === true ? ['--inspect=127.0.0.1:0'] : []), CLI, 'start'];
  const child = spawn(process.execPath, args, { env: cleanEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const { url, inspectorUrl } = await new Promise<{ url: string; inspectorUrl: string | undefined }>((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      const i = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m !== null && (options.inspect !== true || i !== null)) {
        child.stderr.off('data', check);
        resolve({ url: m[1] as string, inspectorUrl: i?.[1] });
      }
    };
    child.stderr.on('data', check);
    void exited.then(({ code, signal }) => reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${err}${out}`)));
  });
  const inspector = inspectorUrl === undefined ? undefined : await Inspector.connect(inspectorUrl);
  const gw: GatewayUnderTest = {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    port: Number(new URL(url).port),
    pid,
    child,
    inspector,
    output: () => out + err,
    rssMiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024,
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    exited,
    async kill() {
      inspector?.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(gw);
  void exited.then(() => {
    inspector?.close();
    running.delete(gw);
  });
  return gw;
}

/** Kills every gateway this test file started (afterAll / afterEach). */
export async function stopAllGateways(): Promise<void> {
  await Promise.all([...running].map((gw) => gw.kill()));
}

/** Waits until `probe` returns true, polling every `everyMs`; fails after `timeoutMs` with `what`. */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
