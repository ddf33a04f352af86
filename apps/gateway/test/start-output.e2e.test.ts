import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, eventually, requireBuild, startGateway, stopAllGateways } from '@ns/testkit';

// What an operator sees at start: `npm start` shows no build chatter above the banner, and log lines
// are JSON when stdout is a pipe and readable on a terminal (a real pseudo-terminal, via script(1)).

const ROOT = join(CLI, '..', '..', '..', '..');
const BANNER = /listening on (http:\/\/\S+)/;
// `npm start` is npm, turbo (replaying its cache) and then the gateway: 20 s at load average 18 on the
// shared 2-core machine, so the budget leaves room for a machine twice as loaded.
const START_BUDGET_MS = 150_000;

/** Runs `command` in its own process group until its output matches `until`; returns the output. */
function runUntil(command: string, args: string[], env: Record<string, string>, until: RegExp, cwd = ROOT): Promise<string> {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${until} within ${START_BUDGET_MS / 1000} s:\n${out}`)), START_BUDGET_MS);
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

/**
 * The workspace packages `npm start` would rebuild (turbo's cache misses for the gateway and what it
 * depends on). The test runs `npm start` only on an up-to-date build: a rebuild there takes minutes
 * on a loaded machine, and tsup's clean step empties dist/ under the other end-to-end tests running
 * the gateway at the same time. With a fresh build turbo replays its cache silently, which is what an
 * operator running `npm start` twice sees; the chatter of a real rebuild is kept out by the same
 * `--output-logs=errors-only` (scripts/build-quietly.mjs).
 */
function staleBuilds(): string[] {
  const dry = execFileSync('npx', ['--no-install', 'turbo', 'run', 'build', '--filter=@ns/gateway...', '--dry=json'], { cwd: ROOT, encoding: 'utf8', env: cleanEnv({}) });
  const { tasks } = JSON.parse(dry) as { tasks: { taskId: string; command: string; cache: { status: string } }[] };
  return tasks.filter((t) => t.command !== '<NONEXISTENT>' && t.cache.status !== 'HIT').map((t) => t.taskId);
}

describe('start output', () => {
  it('npm start prints no build output above the banner', { timeout: START_BUDGET_MS + 30_000 }, async () => {
    requireBuild();
    expect(staleBuilds(), 'npm start would rebuild these first: run `npm run build` before the tests').toEqual([]);
    const out = await runUntil('npm', ['start'], { NS_AUTH: 'none', NS_LOG_FORMAT: 'json' }, BANNER);
    const before = out.slice(0, out.search(BANNER));
    expect(before).not.toMatch(/turbo|Tasks:|Cached:|tsup|Build start|ESM|CJS|DTS/);
    // npm's own two-line script header, then the gateway: nothing else.
    expect(before.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('> ') && !l.startsWith('{')).length).toBeLessThanOrEqual(1);
  });

  it('logs JSON lines when stdout is not a terminal', { timeout: START_BUDGET_MS }, async () => {
    const gw = await startGateway({ NS_LOG_LEVEL: 'info' });
    // The banner (stderr) can come before the log line saying the same (stdout).
    await eventually('the listening log line', () => gw.stdout().includes('listening'), 60_000);
    const lines = gw.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('level');
  });

  it('logs readable lines on a terminal, JSON there with NS_LOG_FORMAT=json, readable in a pipe with NS_LOG_FORMAT=pretty', { timeout: START_BUDGET_MS + 30_000 }, async () => {
    const pretty = await inTerminal({});
    expect(pretty).toMatch(/\[\d\d:\d\d:\d\d\.\d{3}\] \S*INFO\S*: \S*ns-gateway listening on http/);
    expect(pretty).not.toMatch(/\{"level":30/);

    const json = await inTerminal({ NS_LOG_FORMAT: 'json' });
    expect(json).toMatch(/\{"level":30,[^\n]*"msg":"ns-gateway listening on http/);

    const gw = await startGateway({ NS_LOG_LEVEL: 'info', NS_LOG_FORMAT: 'pretty' });
    await eventually('the listening log line', () => gw.stdout().includes('listening'), 60_000);
    expect(gw.stdout()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: /m);
    expect(gw.stdout()).not.toContain('{"level"');
  });
});
