import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, requireBuild, startGateway, stopAllGateways } from '@ns/testkit';

// What an operator sees at start: `npm start` shows no build chatter above the banner, and log lines
// are JSON when stdout is a pipe and readable on a terminal (a real pseudo-terminal, via script(1)).

const ROOT = join(CLI, '..', '..', '..', '..');
const BANNER = /listening on (http:\/\/\S+)/;

/** Runs `command` in its own process group until its output matches `until`; returns the output. */
function runUntil(command: string, args: string[], env: Record<string, string>, until: RegExp, cwd = ROOT): Promise<string> {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${until} within 90 s:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!until.test(out)) return;
      clearTimeout(timer);
      // Give the line that follows the banner (the "listening" log entry) a moment to arrive.
      setTimeout(() => resolve(out), 300);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!until.test(out)) reject(new Error(`exited ${code}:\n${out}`));
    });
  }).finally(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/** `node cli.js start` inside a pseudo-terminal (script(1)): stdout.isTTY is true, as in a shell. */
const inTerminal = (env: Record<string, string>) =>
  runUntil('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} start`, '/dev/null'], { NS_AUTH: 'none', NS_LOG_LEVEL: 'info', ...env }, /ns-gateway listening on http[^\n]*\n[\s\S]*listening/);

afterEach(stopAllGateways);

describe('start output', () => {
  it('npm start prints no build output above the banner', { timeout: 120_000 }, async () => {
    requireBuild();
    const out = await runUntil('npm', ['start'], { NS_AUTH: 'none', NS_LOG_FORMAT: 'json' }, BANNER);
    const before = out.slice(0, out.search(BANNER));
    expect(before).not.toMatch(/turbo|Tasks:|Cached:|tsup|Build start|ESM|CJS|DTS/);
    // npm's own two-line script header, then the gateway: nothing else.
    expect(before.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('> ') && !l.startsWith('{')).length).toBeLessThanOrEqual(1);
  });

  it('logs JSON lines when stdout is not a terminal', async () => {
    const gw = await startGateway({ NS_LOG_LEVEL: 'info' });
    await new Promise((r) => setTimeout(r, 200));
    const lines = gw.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level');
  });

  it('logs readable lines on a terminal, JSON there with NS_LOG_FORMAT=json, readable in a pipe with NS_LOG_FORMAT=pretty', { timeout: 120_000 }, async () => {
    const pretty = await inTerminal({});
    expect(pretty).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] \S*INFO\S*: \S*ns-gateway listening on http/);
    expect(pretty).not.toMatch(/\{"level":30/);

    const json = await inTerminal({ NS_LOG_FORMAT: 'json' });
    expect(json).toMatch(/\{"level":30,[^\n]*"msg":"ns-gateway listening on http/);

    const gw = await startGateway({ NS_LOG_LEVEL: 'info', NS_LOG_FORMAT: 'pretty' });
    await new Promise((r) => setTimeout(r, 200));
    expect(gw.stdout()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: /m);
    expect(gw.stdout()).not.toContain('{"level"');
  });
});
