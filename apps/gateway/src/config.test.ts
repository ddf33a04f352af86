import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { ENV_VARS } from './env-vars.js';

const SECRET = 'a'.repeat(32);

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('defaults to loopback:8080, the memory engine and local development auth', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      engine: 'memory',
      workers: 1,
      auth: { mode: 'local' },
      publishKeys: [],
      allowedOrigins: [],
      allowAnonymous: true,
      logLevel: 'info',
      writeDelayMs: 2,
      ipMaxConnections: 1000,
      ipConnectRate: 100,
      trustProxy: false,
      clientMessageRate: 50,
      maxMessageBytes: 65536,
      maxSubscriptions: 64,
      heartbeatS: 25,
      shutdownGraceS: 10,
    });
  });

  it('has a default or an explicit "unset" for every variable of env-vars.ts', () => {
    const names = ENV_VARS.map((v) => v.name);
    for (const name of [
      'NS_HOST', 'NS_PORT', 'NS_ENGINE', 'NS_REDIS_URL', 'NS_REDIS_PREFIX', 'NS_WORKERS', 'NS_AUTH', 'NS_JWT_SECRET',
      'NS_JWT_PUBLIC_KEY_FILE', 'NS_PUBLISH_KEYS', 'NS_ALLOWED_ORIGINS', 'NS_ALLOW_ANONYMOUS', 'NS_LOG_LEVEL',
      'NS_WRITE_DELAY_MS', 'NS_MAX_CONNECTIONS', 'NS_IP_MAX_CONNECTIONS', 'NS_IP_CONNECT_RATE', 'NS_TRUST_PROXY',
      'NS_CLIENT_MESSAGE_RATE', 'NS_MAX_MESSAGE_BYTES', 'NS_MAX_SUBSCRIPTIONS', 'NS_HEARTBEAT_S', 'NS_SHUTDOWN_GRACE_S',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ NS_PORT: '', NS_HOST: '  ' }).port).toBe(8080);
  });

  it('names the variable and the problem for a bad number', () => {
    const err = configError({ NS_PORT: '80x' });
    expect(err.variable).toBe('NS_PORT');
    expect(err.message).toBe('NS_PORT: "80x" must be a whole number between 0 and 65535');
  });

  it.each([
    ['NS_ENGINE', 'mongo'],
    ['NS_AUTH', 'basic'],
    ['NS_LOG_LEVEL', 'loud'],
    ['NS_ALLOW_ANONYMOUS', 'maybe'],
    ['NS_HEARTBEAT_S', '0'],
    ['NS_MAX_SUBSCRIPTIONS', '-1'],
    ['NS_REDIS_URL', 'http://x'],
    ['NS_REDIS_URL', 'redis+cluster://'],
    ['NS_REDIS_URL', 'redis+cluster://10.0.0.1:7000,10.0.0.2'],
    ['NS_TRUST_PROXY', '10.0.0.0/40'],
    ['NS_ALLOWED_ORIGINS', 'https://a.example/path'],
    ['NS_ALLOWED_ORIGINS', '*,https://a.example'],
    ['NS_HOST', 'not a host!'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message.startsWith(`${name}: `)).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('refuses a non-loopback address without auth', () => {
    const err = configError({ NS_HOST: '0.0.0.0' });
    expect(err.variable).toBe('NS_HOST');
    expect(err.message).toContain('NS_AUTH=none');
  });

  it('listens on a non-loopback address with a JWT secret or an explicit NS_AUTH=none', () => {
    expect(loadConfig({ NS_HOST: '0.0.0.0', NS_JWT_SECRET: SECRET }).auth.mode).toBe('jwt');
    expect(loadConfig({ NS_HOST: '0.0.0.0', NS_AUTH: 'none' }).auth.mode).toBe('none');
  });

  it('requires key material when NS_AUTH=jwt is explicit, even on loopback', () => {
    expect(configError({ NS_AUTH: 'jwt' }).message).toBe('NS_AUTH: NS_AUTH=jwt requires NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE');
  });

  it('accepts a short JWT secret (NetSentinel\'s own) but warns, without echoing it', () => {
    const c = loadConfig({ NS_JWT_SECRET: 'hunter2-short' });
    expect(c.auth.mode).toBe('jwt');
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain('NS_JWT_SECRET is shorter than 32 bytes');
    expect(c.warnings[0]).not.toContain('hunter2');
    expect(loadConfig({ NS_JWT_SECRET: SECRET }).warnings).toEqual([]);
  });

  it('warns about short publish keys without echoing them, and rejects an empty list', () => {
    const c = loadConfig({ NS_PUBLISH_KEYS: 'k-0123456789abcdef,short-key' });
    expect(c.publishKeys).toHaveLength(2);
    expect(c.warnings.join()).toContain('shorter than 16 characters');
    expect(c.warnings.join()).not.toContain('short-key');
    expect(configError({ NS_PUBLISH_KEYS: ' , ' }).variable).toBe('NS_PUBLISH_KEYS');
  });

  it('takes a Redis Cluster as redis+cluster://host:port,host:port', () => {
    expect(loadConfig({ NS_ENGINE: 'redis', NS_REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7000' }).redisUrl.reveal()).toBe('redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
  });

  it('never shows secrets when the config is logged or serialized', () => {
    const c = loadConfig({ NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: 'k-0123456789abcdef', NS_REDIS_URL: 'redis://:pw-xyz@r:6379' });
    const text = `${JSON.stringify(c)}${inspect(c, { depth: 5 })}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('k-0123456789abcdef');
    expect(text).not.toContain('pw-xyz');
    expect(c.publishKeys[0]?.reveal()).toBe('k-0123456789abcdef');
  });

  it('bounds a whole HTTP request at 10 s by default, never shorter than the handshake timeout', () => {
    expect(loadConfig({}).requestTimeoutS).toBe(10);
    expect(loadConfig({}).replayBytesPerS).toBe(262_144);
    expect(configError({ NS_REPLAY_BYTES_PER_S: '10' }).variable).toBe('NS_REPLAY_BYTES_PER_S');
    expect(loadConfig({ NS_REQUEST_TIMEOUT_S: '2', NS_HANDSHAKE_TIMEOUT_S: '1' }).requestTimeoutS).toBe(2);
    expect(loadConfig({ NS_HANDSHAKE_TIMEOUT_S: '30' }).requestTimeoutS).toBe(30);
    const e = configError({ NS_REQUEST_TIMEOUT_S: '2' });
    expect(e.variable).toBe('NS_REQUEST_TIMEOUT_S');
    expect(e.message).toMatch(/shorter than NS_HANDSHAKE_TIMEOUT_S/);
  });

  it('requires a shared engine for more than one worker', () => {
    expect(configError({ NS_WORKERS: '4' }).variable).toBe('NS_WORKERS');
    expect(loadConfig({ NS_WORKERS: '4', NS_ENGINE: 'redis' }).workers).toBe(4);
  });

  it('parses origin and proxy lists', () => {
    const c = loadConfig({ NS_ALLOWED_ORIGINS: 'https://soc.example.com, http://localhost:3000/', NS_TRUST_PROXY: '10.0.0.0/8,::1' });
    expect(c.allowedOrigins).toEqual(['https://soc.example.com', 'http://localhost:3000']);
    expect(c.trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({ NS_ALLOWED_ORIGINS: '*' }).allowedOrigins).toBe('*');
  });

  it('reads a PEM public key file and infers its algorithms', () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-config-'));
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pub = join(dir, 'pub.pem');
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const c = loadConfig({ NS_JWT_PUBLIC_KEY_FILE: pub });
    expect(c.auth).toMatchObject({ mode: 'jwt', publicKey: { kind: 'pem', algorithms: ['ES256'] } });

    const priv = join(dir, 'priv.pem');
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(configError({ NS_JWT_PUBLIC_KEY_FILE: priv }).message).toContain('private key');
    expect(configError({ NS_JWT_PUBLIC_KEY_FILE: join(dir, 'missing.pem') }).message).toContain('ENOENT');
  });
});
