import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanEnv, CLI, eventually, freePort, requireBuild } from '@ns/testkit';

// `ns-gateway start 2>&1 | head -c 100`: the reader takes the first line and dies, and from then on
// every write to stdout and stderr fails with EPIPE — the shell pipeline whose `tee` or log shipper
// went away. The real process must keep serving, and a signal must still end it within the grace
// period (it used to spin on EPIPE in pino's exit-time flush until SIGKILL).

const GRACE_S = 3;
const spawned: ChildProcess[] = [];

afterEach(() => {
  for (const child of spawned.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

async function healthz(port: number): Promise<number | string> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch (err) {
    return String(err);
  }
}

/** Opens and closes a WebSocket (the gateway logs both at info). */
function visit(port: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'ns.v1');
    ws.on('message', () => ws.close());
    ws.on('close', () => resolve());
    ws.on('error', () => resolve());
  });
}

describe('a closed stdout and stderr', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('keeps the gateway serving, and %s still ends it within the grace period', async (signal) => {
    requireBuild();
    const port = await freePort();
    const reader = spawn('head', ['-c', '100'], { stdio: ['pipe', 'ignore', 'ignore'] });
    spawned.push(reader);
    const readerExited = exitOf(reader);
    const gateway = spawn(process.execPath, [CLI, 'start'], {
      env: cleanEnv({ NS_PORT: String(port), NS_AUTH: 'none', NS_LOG_LEVEL: 'debug', NS_SHUTDOWN_GRACE_S: String(GRACE_S) }),
      // Both streams into head's stdin, as `2>&1 |` does; this process keeps no copy of it.
      stdio: ['ignore', reader.stdin, reader.stdin],
    });
    spawned.push(gateway);
    reader.stdin.destroy();
    const exited = exitOf(gateway);

    // The reader is gone after its 100 bytes; the gateway answers all the same.
    await readerExited;
    await eventually('the gateway answers /healthz', async () => (await healthz(port)) === 200, 20_000, 100);
    for (let i = 0; i < 10; i++) await visit(port);
    expect(await healthz(port)).toBe(200);
    expect(gateway.exitCode).toBeNull();

    // Connections open while it drains, so the drain writes (and fails to write) several lines.
    const open = await Promise.all(
      Array.from({ length: 5 }, () => new Promise<WebSocket>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'ns.v1');
        ws.once('message', () => resolve(ws));
        ws.on('error', () => {});
      })),
    );
    gateway.kill(signal);
    const result = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), (GRACE_S + 5) * 1000))]);
    expect(result).toEqual({ code: 0, signal: null });
    for (const ws of open) ws.terminate();
  }, 60_000);
});
