// @ns/testkit: test support shared by every package's tests (private, never published or built; the
// tests import its TypeScript sources directly).
export { closeAfterEach, type Closable, type Track } from './closing.js';
export { threat } from './events.js';
export { eventually } from './eventually.js';
export { CLI, cleanEnv, gatewayMissing, launchGateway, requireBuild, runCli, startGateway, stopAllGateways, type GatewayProcess, type GatewayUnderTest, type LaunchOptions } from './gateway.js';
export { publish, publishAccepted, type Json } from './http.js';
export { Inspector } from './inspector.js';
export { freePort } from './ports.js';
export { inCi, runsWith } from './prerequisites.js';
export { clientFrame, OPCODE, RawWs, upgradeStatus, type Msg, type UpgradeOptions } from './raw-ws.js';
export { redisServerMajor, SHARDED_PUBSUB_SINCE, startRedisCluster, type TestRedisCluster } from './redis-cluster.js';
export { hasRedisServer, redisCommand, redisServerBin, redisServerMissing, REDIS_SERVER_PACKAGE, startRedisServer, type RedisServerOptions, type TestRedisServer } from './redis-server.js';
export { endProcess, type EndOptions, type Ending } from './teardown.js';
export { TestClient, type Message } from './test-client.js';
