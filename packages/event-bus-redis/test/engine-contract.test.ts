import { engineContract } from '@ns/event-bus/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisEngine } from '../src/index.js';
import { uniquePrefix } from './fixtures.js';
import { hasRedisServer, startRedisServer, type TestRedisServer } from '@ns/testkit';

describe.skipIf(!hasRedisServer)('RedisEngine', () => {
  let server: TestRedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  // A fresh prefix per engine gives each contract test an empty history on the shared server.
  engineContract('RedisEngine', (options) => RedisEngine.connect({ url: server.url, prefix: uniquePrefix(), ...options }));
});
