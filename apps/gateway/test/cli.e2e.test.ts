import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, CLI, type GatewayProcess, runCli, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { getJson } from './support/json.js';

const threat = (score: number) => ({ type: 'threat.new', data: { source_ip: '203.0.113.7', threat_score: score, threat_level: 'high', timestamp: 1764115200.5 } });
const status = { type: 'status.update', data: { component: 'kafka_consumer', status: 'degraded' } };

let gw: GatewayProcess;
let dir: string;

beforeAll(async () => {
  gw = await startGateway({ NS_PUBLISH_RATE: '1000' });
  dir = mkdtempSync(join(tmpdir(), 'ns-cli-'));
});
afterAll(async () => {
  await stopAllGateways();
  rmSync(dir, { recursive: true, force: true });
});

describe('ns-gateway publish', () => {
  it('publishes NDJSON in batches with progress and exits 0', async () => {
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, `${Array.from({ length: 25 }, (_, i) => JSON.stringify(threat(i % 10))).join('\n')}\n`);
    const watcher = await TestClient.open(gw.wsUrl);
    await watcher.subscribe('threats');
    const { code, stdout, stderr } = await runCli(['publish', file, '--url', gw.url, '--batch-size', '10', '--results']);
    expect(code).toBe(0);
    expect(stderr).toContain('published 25/25 events');
    expect(stderr).toContain('25 events in 3 request(s)');
    const results = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results).toHaveLength(25);
    const last = results.at(-1);
    expect((await watcher.next((m) => m.id === last.id)).seq).toBe(last.seq);
    watcher.close();
  });

  it('reads a JSON array from stdin', async () => {
    const { code } = await runCli(['publish', '-', '--url', gw.url, '--quiet'], {}, JSON.stringify([threat(1), status]));
    expect(code).toBe(0);
  });

  it('sends nothing and exits 1 when an event is invalid, naming its line and field', async () => {
    const file = join(dir, 'bad.ndjson');
    writeFileSync(file, [JSON.stringify(status), JSON.stringify({ type: 'threat.new', data: { ...threat(1).data, source_ip: '999.1.1.1' } })].join('\n'));
    const before = (await getJson(`${gw.url}/v1/channels`)).channels.find((c: { name: string }) => c.name === 'status').seq;
    const { code, stderr } = await runCli(['publish', file, '--url', gw.url]);
    expect(code).toBe(1);
    expect(stderr).toContain('line 2: data.source_ip');
    expect(stderr).toContain('nothing was published');
    const after = (await getJson(`${gw.url}/v1/channels`)).channels.find((c: { name: string }) => c.name === 'status').seq;
    expect(after).toBe(before);
  });

  it('exits 2 for unreadable input and 4 when the gateway is unreachable', async () => {
    expect((await runCli(['publish', join(dir, 'missing.json'), '--url', gw.url])).code).toBe(2);
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify(status));
    const unreachable = await runCli(['publish', file, '--url', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain('cannot reach');
  });
});

describe('ns-gateway tail', () => {
  it('prints events of the tailed channels as they arrive, applying the filter server-side', async () => {
    const tail = spawn(process.execPath, [CLI, 'tail', 'threats', '--filter', '{"min_score":7}', '--url', gw.url, '--json', '--count', '1'], {
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    tail.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const subscribed = new Promise<void>((resolve) =>
      tail.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('subscribed to threats')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => tail.on('exit', resolve));
    await subscribed;
    const res = await fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [threat(2), threat(9.5)] }),
    });
    expect(res.status).toBe(202);
    expect(await exited).toBe(0);
    const printed = JSON.parse(out.trim());
    expect(printed).toMatchObject({ type: 'threat.new', channel: 'threats', data: { threat_score: 9.5 } });
  });

  it('exits 2 naming the field of a filter that does not fit the channel', async () => {
    const { code, stderr } = await runCli(['tail', 'alerts', '--filter', '{"severities":["severe"]}', '--url', gw.url]);
    expect(code).toBe(2);
    expect(stderr).toContain('severities[0]');
  });
});
