import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchGateway, RawWs, stopAllGateways } from '../src/index.js';

// How the testkit ends the gateways it spawned decides whether `npm run coverage` sees them: Node
// writes NODE_V8_COVERAGE when the process exits by itself (process.exit included), never on SIGKILL.
// Under `npm run coverage` the gateways write where every child does (and count); otherwise into a
// directory of this file's own. Coverage files are named by pid, so each assertion finds its own.

const shared = process.env.NODE_V8_COVERAGE;
let dir: string;
beforeEach(() => {
  dir = shared !== undefined && shared !== '' ? shared : mkdtempSync(join(tmpdir(), 'ns-teardown-'));
});
afterEach(async () => {
  await stopAllGateways();
  if (dir !== shared) rmSync(dir, { recursive: true, force: true });
});

/** The script URLs in the coverage files process `pid` wrote into `dir`. */
function coveredScripts(pid: number): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`coverage-${pid}-`) && f.endsWith('.json'));
  return files.flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { result: { url: string }[] }).result.map((s) => s.url));
}

describe('gateway teardown', () => {
  it('shutdown() the moment the banner appears drains (exit 0) and the gateway writes its coverage of the dist bundle', async () => {
    const gw = await launchGateway({ env: { NS_AUTH: 'none', NODE_V8_COVERAGE: dir } });
    expect(await gw.shutdown()).toBe('drained');
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    expect(coveredScripts(gw.pid).some((url) => url.endsWith('/apps/gateway/dist/cli.js'))).toBe(true);
  });

  it('kill() stays a crash: SIGKILL, and no coverage written', async () => {
    const gw = await launchGateway({ env: { NS_AUTH: 'none', NODE_V8_COVERAGE: dir } });
    await gw.kill();
    expect(await gw.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(coveredScripts(gw.pid)).toEqual([]);
  });

  it('a drain held by a client that never answers the close frame ends with the second SIGTERM (exit 143), coverage still written', async () => {
    const gw = await launchGateway({ env: { NS_AUTH: 'none', NODE_V8_COVERAGE: dir, NS_SHUTDOWN_GRACE_S: '60' } });
    const client = await RawWs.connect(gw.port);
    // Reads nothing more: the server's close frame stays unanswered, so the drain waits for it.
    client.socket.pause();
    try {
      expect(await gw.shutdown({ secondSignalMs: 500, killMs: 10_000 })).toBe('second-sigterm');
      expect(await gw.exited).toEqual({ code: 143, signal: null });
      expect(coveredScripts(gw.pid).some((url) => url.endsWith('/apps/gateway/dist/cli.js'))).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('a process that ignores SIGTERM is SIGKILLed after killMs', async () => {
    const gw = await launchGateway({ env: { NS_AUTH: 'none', NODE_V8_COVERAGE: dir }, inspect: true });
    await gw.inspector?.evaluate("process.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => {}); true");
    expect(await gw.shutdown({ secondSignalMs: 200, killMs: 600 })).toBe('sigkill');
    expect(await gw.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
