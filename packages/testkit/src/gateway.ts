import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Inspector } from './inspector.js';
import { endProcess, logProcess, type EndOptions, type Ending } from './teardown.js';

/** The gateway's built bin (`npm run build`), run exactly as an operator runs it. */
export const CLI = fileURLToPath(new URL('../../../apps/gateway/dist/cli.js', import.meta.url));

/** What keeps tests from spawning the gateway, or undefined when it is built. */
export const gatewayMissing = (): string | undefined => (existsSync(CLI) ? undefined : `${CLI} is not built (run \`npm run build\`)`);

/** Throws unless the gateway is built: the end-to-end tests run the built bin, never the sources. */
export function requireBuild(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: these end-to-end tests run the built gateway. Run \`npm run build\` first (the root \`npm test\` does).`);
  }
}

/**
 * The environment of a process under test: the caller's NS_* variables never leak in, NS_PORT defaults
 * to 0 and NS_LOG_LEVEL to warn. Everything else (PATH, NODE_V8_COVERAGE set by `npm run coverage`) is
 * inherited.
 */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  return { ...base, NS_PORT: '0', NS_LOG_LEVEL: 'warn', ...env };
}

/** Options of {@link launchGateway}. */
export interface LaunchOptions {
  /** NS_* variables, on top of {@link cleanEnv}'s defaults. */
  env?: Record<string, string>;
  /** CLI arguments (default `start`). */
  args?: string[];
  /**
   * Start with the V8 inspector on a random loopback port, so a test can evaluate code inside the
   * gateway (read `({}).polluted`, stall the event loop) without any test hook in the product.
   */
  inspect?: boolean;
}

/** A running `ns-gateway` child process. */
export interface GatewayUnderTest {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Connected when launched with `inspect`. */
  readonly inspector: Inspector | undefined;
  /** What the process wrote to stdout so far. */
  stdout(): string;
  /** What the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote so far (stdout, then stderr). */
  output(): string;
  /** Resident set size (VmRSS) in MiB, from /proc. */
  rssMiB(): number;
  /** Open file descriptors (sockets included), from /proc. */
  openFds(): number;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM: a graceful drain) unless it has exited, and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Teardown ({@link stopAllGateways}): SIGTERM and wait for the drain, a second SIGTERM after 3 s,
   * SIGKILL only after 5 s (see {@link endProcess}); the process writes its coverage under `npm run coverage`.
   */
  shutdown(options?: EndOptions): Promise<Ending>;
  /** SIGKILL (a crash: no drain, no close frames, no coverage written) and wait for the exit. */
  kill(): Promise<void>;
}

/** The name the end-to-end tests use for a gateway they started. */
export type GatewayProcess = GatewayUnderTest;

const running = new Set<GatewayUnderTest>();

/**
 * Starts the built gateway and resolves once its banner on stderr names the URL (and the inspector is
 * attached). Only stderr counts: a worker's JSON log line "listening on" reaches stdout before the
 * process as a whole is ready (under NS_WORKERS the banner comes once every worker listens).
 */
export async function launchGateway(options: LaunchOptions = {}): Promise<GatewayUnderTest> {
  requireBuild();
  const args = [...(options.inspect === true ? ['--inspect=127.0.0.1:0'] : []), CLI, ...(options.args ?? ['start'])];
  const child = spawn(process.execPath, args, { env: cleanEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  logProcess(`spawn ${pid} gateway`);
  let out = '';
  let err = '';
  // Collecting both pipes keeps them drained, so a chatty gateway never blocks on a full stdout.
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const { url, inspectorUrl } = await new Promise<{ url: string; inspectorUrl: string | undefined }>((resolve, reject) => {
    const check = () => {
      const m = /^ns-gateway listening on (http:\/\/\S+)/m.exec(err);
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
    stdout: () => out,
    stderr: () => err,
    output: () => out + err,
    rssMiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024,
    openFds: () => readdirSync(`/proc/${pid}/fd`).length,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return (await exited).code;
    },
    async shutdown(options) {
      inspector?.close();
      return endProcess(child, exited, options);
    },
    async kill() {
      inspector?.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        logProcess(`end ${pid} crash`);
      }
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

/**
 * {@link launchGateway} with `env` and `args`, auth off (`NS_AUTH=none`, loopback) unless the caller
 * configures it: most end-to-end tests are about delivery; auth has tests of its own.
 */
export function startGateway(env: Record<string, string> = {}, args: string[] = ['start']): Promise<GatewayUnderTest> {
  const configured = env.NS_JWT_SECRET !== undefined || env.NS_JWT_PUBLIC_KEY_FILE !== undefined || env.NS_AUTH !== undefined;
  return launchGateway({ env: configured ? env : { NS_AUTH: 'none', ...env }, args });
}

/**
 * Stops every gateway this test file started and that is still running (afterAll / afterEach), each
 * with {@link GatewayUnderTest.shutdown}: a drain, not a crash, so each one writes its coverage.
 */
export async function stopAllGateways(): Promise<void> {
  await Promise.all([...running].map((gw) => gw.shutdown()));
}

/** Runs `ns-gateway` with `args` and collects its output; resolves when it exits. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  logProcess(`spawn ${child.pid} cli`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) =>
    child.on('close', (code) => {
      logProcess(`end ${child.pid} exited`);
      resolve({ code, stdout, stderr });
    }),
  );
}
