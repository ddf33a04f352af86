import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { hasRedisServer, startRedisGateway, startRedisServer, uniquePrefix, type TestRedisServer } from './support/redis-gateways.js';

// deploy/ checked by the real tools, as CI runs them: Debian's docker-compose (no daemon needed to
// validate), promtool (rules, rule unit tests, config, /metrics conventions), systemd-analyze; and the
// Grafana dashboard and alert rules against the metrics a running gateway exports.

const ROOT = join(CLI, '..', '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const run = promisify(execFile);

/** Runs a tool; resolves with its exit code and output (a missing tool fails the test, naming the package). */
async function tool(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new Error(`${cmd} is not installed (Debian: apt-get install ${cmd === 'promtool' ? 'prometheus' : cmd === 'systemd-analyze' ? 'systemd' : cmd}): ${err.message}`)));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const composeEnv = (extra: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  return { ...base, ...extra } as NodeJS.ProcessEnv;
};

describe('deploy/compose.yaml (docker-compose config)', () => {
  const env = composeEnv({ NS_JWT_SECRET: 'compose-test-secret-0123456789abcdef0123', NS_PUBLISH_KEYS: 'compose-test-key-0123456789abcdef' });
  const compose = (args: string[], e = env) => tool('docker-compose', ['-f', join(DEPLOY, 'compose.yaml'), ...args], { env: e });

  it('is valid and runs Redis, two gateways on the Redis engine, the demo publisher, Prometheus and Grafana', async () => {
    const quiet = await compose(['config', '-q']);
    expect(quiet.code, quiet.stderr).toBe(0);
    const services = await compose(['config', '--services']);
    expect(services.stdout.trim().split('\n').sort()).toEqual(['demo', 'gateway-1', 'gateway-2', 'grafana', 'prometheus', 'redis']);

    const text = (await compose(['config'])).stdout;
    // One block per service in the normalized output (two-space indented names under `services:`).
    const block = (name: string) => {
      const start = text.indexOf(`\n  ${name}:\n`);
      const rest = text.slice(start + name.length + 4);
      return rest.slice(0, rest.search(/\n {2}\S|\n\S/));
    };
    for (const gw of ['gateway-1', 'gateway-2']) {
      expect(block(gw)).toContain('NS_ENGINE: redis');
      expect(block(gw)).toContain('NS_REDIS_URL: redis://redis:6379');
      expect(block(gw)).toMatch(/context: \/\S+/);
    }
    expect(block('demo')).toMatch(/- demo-publish/);
    expect(block('demo')).toContain('NS_GATEWAY_URL: http://gateway-1:8080');
    // Every file the services mount exists in the repository.
    const mounts = [...text.matchAll(/^ {4}- (\/[^:]+):\/[^\n]*$/gm)].map((m) => m[1] as string);
    expect(mounts.length).toBeGreaterThanOrEqual(4);
    for (const m of mounts) expect(existsSync(m), m).toBe(true);
  });

  it('refuses to run without the secrets, naming them', async () => {
    const r = await compose(['config', '-q'], composeEnv({ NS_PUBLISH_KEYS: 'k' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('set NS_JWT_SECRET');
  });
});

describe('deploy/prometheus (promtool)', () => {
  it('rules pass promtool check rules', async () => {
    const r = await tool('promtool', ['check', 'rules', join(DEPLOY, 'prometheus/rules.yaml')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 7 rules found/);
  });

  it('rules pass their unit tests (promtool test rules): each alert fires on its failure and not before', async () => {
    const r = await tool('promtool', ['test', 'rules', 'rules.test.yaml'], { cwd: join(DEPLOY, 'prometheus') });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SUCCESS');
  });

  it('prometheus.yml passes promtool check config (with the rules path of the container)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-prom-'));
    try {
      const config = readFileSync(join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8');
      expect(config).toContain('/etc/prometheus/rules.yaml');
      writeFileSync(join(dir, 'prometheus.yml'), config.replace('/etc/prometheus/rules.yaml', join(DEPLOY, 'prometheus/rules.yaml')));
      const r = await tool('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/systemd', () => {
  it('the unit passes systemd-analyze verify', async () => {
    const r = await tool('systemd-analyze', ['verify', join(DEPLOY, 'systemd/ns-gateway.service')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
  });

  it('its environment file holds only variables the gateway knows', async () => {
    const names = readFileSync(join(DEPLOY, 'systemd/ns-gateway.env'), 'utf8')
      .split('\n')
      .filter((l) => /^NS_\w+=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    expect(names.length).toBeGreaterThan(5);
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    for (const n of names) expect(stdout, n).toContain(`  ${n} `);
  });
});

/** Metric names in PromQL expressions: ns_*, nodejs_*, process_* (PromQL functions and labels excluded). */
function queriedMetrics(exprs: string[]): Set<string> {
  const names = new Set<string>();
  for (const e of exprs) for (const m of e.matchAll(/\b((?:ns|nodejs|process)_[a-z0-9_]+)\b/g)) names.add(m[1] as string);
  return names;
}

/** Sample names in a Prometheus text exposition. */
function exportedSeries(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0] as string),
  );
}

describe.skipIf(!hasRedisServer)('what the dashboard and the rules query, against a running gateway', () => {
  let redis: TestRedisServer;
  let gw: GatewayProcess;
  let metrics: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    gw = await startRedisGateway(redis.url, uniquePrefix(), { NS_PUBLISH_KEYS: 'deploy-test-key-0123456789abcdef' });
    // Traffic, so the labelled series (per channel, per status) and histograms have samples.
    const s = await TestClient.open(gw.wsUrl);
    await s.subscribe('threats');
    const res = await fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { authorization: 'Bearer deploy-test-key-0123456789abcdef', 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'threat.new', data: { source_ip: '203.0.113.7', threat_score: 8, threat_level: 'high', timestamp: 1764115200.5 } }),
    });
    expect(res.status).toBe(202);
    await s.next((m) => m.type === 'threat.new');
    s.close();
    metrics = await (await fetch(`${gw.url}/metrics`)).text();
  }, 60_000);

  afterAll(async () => {
    await stopAllGateways();
    await redis?.close();
  });

  it('/metrics passes promtool check metrics (naming and unit conventions)', async () => {
    const r = await tool('promtool', ['check', 'metrics'], { input: metrics });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((r.stdout + r.stderr).trim()).toBe('');
  });

  it('every metric the Grafana dashboard queries is exported', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/ns-gateway.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(15);
    const queried = queriedMetrics(exprs);
    // Connections, subscriptions, published/delivered per channel, drops, latency, lag, Redis.
    for (const m of ['ns_ws_connections', 'ns_ws_subscriptions', 'ns_events_published_total', 'ns_events_delivered_total', 'ns_events_dropped_total', 'ns_publish_latency_seconds_bucket', 'nodejs_eventloop_lag_p99_seconds', 'ns_redis_up']) {
      expect(queried.has(m), m).toBe(true);
    }
    const exported = exportedSeries(metrics);
    expect([...queried].filter((m) => !exported.has(m))).toEqual([]);
  });

  it('every metric the alerting rules query is exported', () => {
    const rules = readFileSync(join(DEPLOY, 'prometheus/rules.yaml'), 'utf8');
    const exprs = [...rules.matchAll(/expr: (?:\|\n)?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1] as string);
    expect(exprs).toHaveLength(7);
    const queried = queriedMetrics(exprs);
    expect(queried.size).toBeGreaterThanOrEqual(6);
    const exported = exportedSeries(metrics);
    expect([...queried].filter((m) => !exported.has(m))).toEqual([]);
  });
});

describe('/metrics of the memory engine', () => {
  it('passes promtool check metrics too', async () => {
    const gw = await startGateway();
    try {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const r = await tool('promtool', ['check', 'metrics'], { input: text });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      await stopAllGateways();
    }
  });
});

/** Status of a GET with exactly these headers (fetch would not let a test set Host). */
function statusOf(port: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('behind a TLS proxy (the settings of deploy/nginx/ns-gateway.conf)', () => {
  it('a loopback gateway serves the console and /ws to requests the proxy forwards with Host: localhost', async () => {
    const gw = await startGateway({ NS_HOST: '127.0.0.1', NS_TRUST_PROXY: '127.0.0.1', NS_ALLOWED_ORIGINS: 'https://soc.example.com', NS_AUTH: 'none' });
    try {
      const port = new URL(gw.url).port;
      const forwarded = { host: 'localhost', 'x-forwarded-for': '198.51.100.20', 'x-forwarded-host': 'soc.example.com', 'x-forwarded-proto': 'https' };
      const page = await statusOf(port, '/', forwarded);
      expect(page).toBe(200);
      const socket = await TestClient.open(`ws://127.0.0.1:${port}/ws`, { headers: { ...forwarded, origin: 'https://soc.example.com' } });
      expect(socket.messages.find((m) => m.type === 'welcome')).toBeDefined();
      socket.close();
      // The public name itself, as a proxy forwarding `Host $host` would send it, is refused.
      expect(await statusOf(port, '/v1/channels', { ...forwarded, host: 'soc.example.com' })).toBe(403);
    } finally {
      await stopAllGateways();
    }
  });
});
