import { afterEach, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../src/env-vars.js';
import { runCli, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { jsonOf } from './support/json.js';

afterEach(async () => {
  await stopAllGateways();
});

describe('graceful shutdown', () => {
  it('on SIGTERM sends a system.notice, closes clients with 1001 and exits 0 within the grace period', async () => {
    const gw = await startGateway({ NS_SHUTDOWN_GRACE_S: '5' });
    const client = await TestClient.open(gw.wsUrl);
    expect((await client.subscribe('system')).type).toBe('subscribed');
    expect((await client.subscribe('threats')).type).toBe('subscribed');

    gw.child.kill('SIGTERM');
    const notice = await client.next((m) => m.type === 'system.notice');
    expect(notice).toMatchObject({ channel: 'system', data: { level: 'warning', code: 'shutdown' } });
    expect((await client.closed).code).toBe(1001);
    // The process ends itself with 0 only when the drain finished inside NS_SHUTDOWN_GRACE_S;
    // overrunning it exits 1.
    expect(await gw.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses publishes with 503 and fails readiness while draining', async () => {
    const gw = await startGateway({ NS_SHUTDOWN_GRACE_S: '5' });
    const watcher = await TestClient.open(gw.wsUrl);
    expect((await watcher.subscribe('system')).type).toBe('subscribed');
    // A client that does not read keeps the closing handshake (and so the drain) open meanwhile.
    const stalled = await TestClient.open(gw.wsUrl);
    stalled.ws.pause();

    gw.child.kill('SIGTERM');
    await watcher.next((m) => m.type === 'system.notice');
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const publish = await fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'system.notice', data: { level: 'info', message: 'late', timestamp: 1 } }),
    });
    expect(publish.status).toBe(503);
    expect((await jsonOf(publish)).error.code).toBe('unavailable');
    stalled.ws.resume();
    expect((await stalled.closed).code).toBe(1001);
    expect((await gw.exited).code).toBe(0);
  });
});

describe('configuration errors', () => {
  it('exits 2 with one line naming a bad variable', async () => {
    const { code, stderr, stdout } = await runCli(['start'], { NS_PORT: 'eighty' });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('NS_PORT');
    expect(stderr).toContain('whole number');
    expect(stdout).toBe('');
  });

  it('refuses a non-loopback address without auth, naming NS_HOST', async () => {
    const { code, stderr } = await runCli(['start'], { NS_HOST: '0.0.0.0' });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/NS_HOST: refusing to listen on 0\.0\.0\.0 without auth/);
  });

  it('never prints a rejected secret', async () => {
    const { code, stderr } = await runCli(['start'], { NS_PUBLISH_KEYS: ',', NS_REDIS_URL: 'http://:pw-secret@x' });
    expect(code).toBe(2);
    expect(stderr).toContain('NS_REDIS_URL');
    expect(stderr).not.toContain('pw-secret');
  });
});

describe('ns-gateway --help', () => {
  it('lists every variable with its default and the exit codes', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const v of ENV_VARS) expect(stdout).toContain(`${v.name}`);
    expect(stdout).toMatch(/NS_PORT\s+\[8080\]/);
    expect(stdout).toMatch(/NS_HOST\s+\[127\.0\.0\.1\]/);
    expect(stdout).toMatch(/NS_SHUTDOWN_GRACE_S\s+\[10\]/);
    expect(stdout).toContain('Exit codes');
  });

  it('rejects an unknown command with exit 2', async () => {
    const { code, stderr } = await runCli(['serve']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "serve"');
  });
});
