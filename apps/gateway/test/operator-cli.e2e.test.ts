import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, CLI, runCli, startGateway, stopAllGateways, TestClient } from '@ns/testkit';

// The operator commands end to end, against the built bin and a real gateway: a token minted by
// `ns-gateway token` is what the gateway accepts, and `check-token`'s verdict is the gateway's.
//
// Each CLI call is a fresh node process that loads the whole bundle: 1.5–2 s at load average 15, more
// at 25. The tests that make many calls make them concurrently (they are independent) and get a
// budget of CLI_BUDGET_MS instead of the default 30 s, which one sequential run of 13 calls overran.
const CLI_BUDGET_MS = 120_000;

const SECRET = 'operator-test-secret-0123456789abcdef0123456789';
const PUBLISH_KEY = 'operator-publish-key-0123456789abcdef';
const AUTH = { NS_JWT_SECRET: SECRET, NS_JWT_ISSUER: 'netsentinel-auth', NS_JWT_AUDIENCE: 'ns-gateway' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ns-operator-'));
});
afterAll(async () => {
  await stopAllGateways();
  rmSync(dir, { recursive: true, force: true });
});

const historyStatus = async (url: string, channel: string, token: string): Promise<{ status: number; body: { error?: { message: string } } }> => {
  const res = await fetch(`${url}/v1/channels/${channel}/history`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
};

describe('ns-gateway token / check-token', () => {
  it('mints an HS256 token with iss/aud that the gateway accepts, and check-token describes it', { timeout: CLI_BUDGET_MS }, async () => {
    const minted = await runCli(['token', '--sub', 'u_42', '--username', 'alice', '--roles', 'analyst', '--ttl', '2h'], AUTH);
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: 'u_42', username: 'alice', roles: ['analyst'], iss: 'netsentinel-auth', aud: 'ns-gateway' });
    expect(typeof claims.jti).toBe('string');
    expect((claims.exp as number) - (claims.iat as number)).toBe(7200);

    const [checked, json, gw] = await Promise.all([runCli(['check-token', token], AUTH), runCli(['check-token', '--json', token], AUTH), startGateway(AUTH)]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('principal    u_42 (alice)');
    expect(checked.stdout).toContain('permissions  read:events, read:alerts');
    expect(checked.stdout).toMatch(/channels +threats, alerts, status, metrics, events, correlations, system/);
    expect(checked.stdout).toContain('publish      no (needs write:events)');
    expect(checked.stdout).toMatch(/expires +\d{4}-\d\d-\d\dT.*\(in 1h 59m|\(in 2h/);

    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, principal: { id: 'u_42', roles: ['analyst'] }, publish: false });

    expect((await historyStatus(gw.url, 'alerts', token)).status).toBe(200);
  });

  it('check-token refuses exactly what the gateway refuses, with the reason (exit 3)', { timeout: CLI_BUDGET_MS }, async () => {
    const minted = async (env: Record<string, string>) => (await runCli(['token', '--sub', 'bob', '--roles', 'viewer'], env)).stdout.trim();
    const [gw, otherAudience, otherIssuer, otherSecret] = await Promise.all([
      startGateway(AUTH),
      minted({ ...AUTH, NS_JWT_AUDIENCE: 'billing' }),
      minted({ ...AUTH, NS_JWT_ISSUER: 'someone-else' }),
      minted({ ...AUTH, NS_JWT_SECRET: `${SECRET}-other` }),
    ]);
    const cases: { name: string; token: string; reason: RegExp }[] = [
      { name: 'another audience', token: otherAudience, reason: /aud/ },
      { name: 'another issuer', token: otherIssuer, reason: /iss/ },
      { name: 'another secret', token: otherSecret, reason: /signature/ },
      {
        name: 'expired',
        token: await new SignJWT({ roles: ['viewer'], iss: 'netsentinel-auth', aud: 'ns-gateway' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('carol')
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(new TextEncoder().encode(SECRET)),
        reason: /token_expired: token has expired/,
      },
      { name: 'not a JWT', token: 'not-a-token', reason: /unauthorized: invalid token/ },
    ];
    const verdicts = await Promise.all(cases.map((c) => runCli(['check-token', c.token], AUTH)));
    for (const [i, c] of cases.entries()) {
      const checked = verdicts[i] as Awaited<ReturnType<typeof runCli>>;
      expect(checked.code, c.name).toBe(3);
      expect(checked.stderr, c.name).toMatch(/token refused — /);
      expect(checked.stderr, c.name).toMatch(c.reason);
      expect(checked.stderr, c.name).not.toContain(c.token);
      const gateway = await historyStatus(gw.url, 'alerts', c.token);
      expect(gateway.status, c.name).toBe(401);
    }
  });

  it('signs with --private-key (Ed25519) for a gateway that verifies with the public key', { timeout: CLI_BUDGET_MS }, async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pub = join(dir, 'ed25519.pub.pem');
    const priv = join(dir, 'ed25519.key.pem');
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const env = { NS_JWT_PUBLIC_KEY_FILE: pub };
    const minted = await runCli(['token', '--sub', 'svc-processor', '--permissions', 'write:events', '--private-key', priv], env);
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).alg).toBe('EdDSA');
    const checked = await runCli(['check-token', token], env);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('publish      yes (write:events)');
    expect(checked.stdout).toMatch(/channels +status, system\n/);

    const gw = await startGateway(env);
    const res = await fetch(`${gw.url}/v1/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'status.update', data: { component: 'kafka_consumer', status: 'healthy' } }),
    });
    expect(res.status).toBe(202);
    // Without the private key, the public-key gateway cannot mint: the command says how.
    const refused = await runCli(['token', '--sub', 'x'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--private-key');
  });

  it('refuses bad input with exit 2 and one line', { timeout: CLI_BUDGET_MS }, async () => {
    const cases = [
      [['token', '--roles', 'analyst'], AUTH, 'token needs --sub'],
      [['token', '--sub', 'a', '--roles', 'wizard'], AUTH, 'unknown role "wizard"'],
      [['token', '--sub', 'a', '--permissions', 'read:everything'], AUTH, 'unknown permission "read:everything"'],
      [['token', '--sub', 'a', '--ttl', 'forever'], AUTH, '--ttl must be a duration'],
      [['token', '--sub', 'a'], {}, "NS_JWT_SECRET"],
      [['check-token'], AUTH, 'check-token takes the token'],
      [['check-token', 'x.y.z'], { NS_AUTH: 'none' }, 'NS_AUTH=none'],
    ] as [string[], Record<string, string>, string][];
    const results = await Promise.all(cases.map(([args, env]) => runCli(args, env)));
    for (const [i, [args, , message]] of cases.entries()) {
      const r = results[i] as Awaited<ReturnType<typeof runCli>>;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('ns-gateway check-config', () => {
  it('prints the effective configuration with secrets masked and exits 0', async () => {
    const env = { ...AUTH, NS_PUBLISH_KEYS: `${PUBLISH_KEY},second-key-0123456789abcdef`, NS_REDIS_URL: 'redis://ops:hunter2-redis@redis.internal:6380/2', NS_PORT: '9090' };
    const r = await runCli(['check-config'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NS_PORT +9090\n/);
    expect(r.stdout).toMatch(/NS_HOST +127\.0\.0\.1 \[default\]/);
    expect(r.stdout).toMatch(/NS_JWT_SECRET +\*\*\* \(47 bytes\)/);
    expect(r.stdout).toMatch(/NS_PUBLISH_KEYS +\*\*\* \(2 keys\)/);
    expect(r.stdout).toMatch(/NS_REDIS_URL +redis:\/\/\*\*\*:\*\*\*@redis\.internal:6380\/2/);
    expect(r.stdout).toMatch(/auth +jwt — HS256 secret; iss ∈ \{netsentinel-auth\}, aud ∈ \{ns-gateway\}, exp required/);
    for (const secret of [SECRET, PUBLISH_KEY, 'hunter2']) expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('exits 2 naming the variable when start would refuse', { timeout: CLI_BUDGET_MS }, async () => {
    const r = await runCli(['check-config'], { NS_WORKERS: '2' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ns-gateway: config error: NS_WORKERS: .*NS_ENGINE=redis/);
    const secret = await runCli(['check-config'], { NS_PUBLISH_KEYS: ' , ', NS_JWT_SECRET: SECRET });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('NS_PUBLISH_KEYS');
  });
});

describe('unknown NS_* variables', () => {
  it('are named at start with the closest known variable, and by check-config', { timeout: CLI_BUDGET_MS }, async () => {
    const gw = await startGateway({ NS_PROT: '1', NS_LOG_LEVL: 'debug' });
    expect(gw.stderr()).toContain('WARNING     NS_LOG_LEVL is not a variable of ns-gateway and is ignored; did you mean NS_LOG_LEVEL?');
    expect(gw.stderr()).toContain('WARNING     NS_PROT is not a variable of ns-gateway and is ignored; did you mean NS_PORT?');
    const r = await runCli(['check-config'], { NS_AUTH: 'none', NS_URL: 'http://x' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('WARNING NS_URL is not a variable of ns-gateway and is ignored; did you mean NS_GATEWAY_URL?');
  });

  it('client variables are known: no warning for NS_GATEWAY_URL, NS_TOKEN, NS_PUBLISH_KEY', async () => {
    const r = await runCli(['check-config'], { NS_AUTH: 'none', NS_GATEWAY_URL: 'http://x', NS_TOKEN: 't', NS_PUBLISH_KEY: 'k' });
    expect(r.stdout).not.toContain('WARNING');
  });
});

describe('publish with a wrong API key', () => {
  it('answers 401 "invalid API key or token", not a JWS parser message', async () => {
    const gw = await startGateway({ ...AUTH, NS_PUBLISH_KEYS: PUBLISH_KEY });
    const body = JSON.stringify({ type: 'status.update', data: { component: 'kafka_consumer', status: 'healthy' } });
    for (const key of ['wrong-key-0123456789', `${PUBLISH_KEY}x`, 'a.b.c']) {
      const res = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual(
        expect.objectContaining({ code: 'unauthorized', message: 'invalid API key or token' }),
      );
    }
    const ok = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { authorization: `Bearer ${PUBLISH_KEY}`, 'content-type': 'application/json' }, body });
    expect(ok.status).toBe(202);
  });
});

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((r) => setTimeout(r, 50));
};

describe('ns-gateway demo-publish', () => {
  it('publishes synthetic traffic to NS_GATEWAY_URL with NS_PUBLISH_KEY until SIGTERM, then exits 0', { timeout: CLI_BUDGET_MS }, async () => {
    const gw = await startGateway({ NS_AUTH: 'none', NS_PUBLISH_KEYS: PUBLISH_KEY });
    const watcher = await TestClient.open(gw.wsUrl);
    await watcher.subscribe('threats');
    const child = spawn(process.execPath, [CLI, 'demo-publish'], { env: cleanEnv({ NS_GATEWAY_URL: gw.url, NS_PUBLISH_KEY: PUBLISH_KEY, NS_LOG_FORMAT: 'json' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const failed = exited.then(() => {
      throw new Error(`demo-publish exited early: ${out}`);
    });
    await Promise.race([until(() => out.includes('demo publisher started')), failed]);
    // Threats come only from the demo traffic (a campaign starts a second in).
    const event = await Promise.race([watcher.next((m) => m.type === 'threat.new'), failed]);
    expect(event.channel).toBe('threats');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('demo publisher started');
    expect(out).not.toContain(PUBLISH_KEY);
    watcher.close();
  });
});

describe('the console token field', () => {
  it('says how to get a token next to the field', async () => {
    const gw = await startGateway();
    const html = await (await fetch(`${gw.url}/`)).text();
    const form = html.slice(html.indexOf('<form id="auth"'), html.indexOf('</form>'));
    expect(form).toContain('id="token"');
    expect(form).toMatch(/<details id="token-help"[^>]*>\s*<summary>how to get one<\/summary>/);
    expect(form).toContain('ns-gateway token --sub you --roles analyst');
    expect(form).toContain('Getting a token');
  });
});
