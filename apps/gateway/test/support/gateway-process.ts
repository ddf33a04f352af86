import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The built bin, as a user runs it. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

export function requireBuild(): void {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: these end-to-end tests run the built gateway. Run \`npm run build\` first (the root \`npm test\` does).`);
  }
}

/** A clean environment: the caller's NS_* variables must not leak into the process under test. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  return { ...base, NS_PORT: '0', NS_LOG_LEVEL: 'warn', ...env };
}

/** A running `ns-gateway` child process. */
export interface GatewayProcess {
  url: string;
  wsUrl: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `ns-gateway` with `args` and collects its output; resolves when it exits. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const running = new Set<GatewayProcess>();

/**
 * Starts `node dist/cli.js start` (port 0 unless given) and resolves once the banner names its URL.
 * Rejects with the process's output if it exits first. Auth is off (`NS_AUTH=none`, loopback) unless
 * the caller configures it: these tests are about delivery; auth has tests of its own.
 */
export function startGateway(env: Record<string, string> = {}, args: string[] = ['start']): Promise<GatewayProcess> {
  requireBuild();
  const authEnv: Record<string, string> = env.NS_JWT_SECRET !== undefined || env.NS_JWT_PUBLIC_KEY_FILE !== undefined || env.NS_AUTH !== undefined ? {} : { NS_AUTH: 'none' };
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv({ ...authEnv, ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const onErr = (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m === null) return;
      const url = m[1] as string;
      const gw: GatewayProcess = { url, wsUrl: `${url.replace(/^http/, 'ws')}/ws`, child, stderr: () => err, stdout: () => out, exited };
      running.add(gw);
      void exited.then(() => running.delete(gw));
      resolve(gw);
    };
    child.stderr.on('data', onErr);
    void exited.then(({ code, signal }) => reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${err}${out}`)));
  });
}

/** Kills every gateway a test left running (afterEach). */
export async function stopAllGateways(): Promise<void> {
  await Promise.all(
    [...running].map(async (gw) => {
      gw.child.kill('SIGKILL');
      await gw.exited;
    }),
  );
}
