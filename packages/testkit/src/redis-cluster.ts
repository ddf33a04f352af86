import { eventually } from './eventually.js';
import { freePort } from './ports.js';
import { redisCommand, startRedisServer, type TestRedisServer } from './redis-server.js';

/**
 * A private Redis Cluster of `masters` redis-servers on loopback (no replicas, no persistence: a killed
 * master comes back empty but keeps its slots, since cluster mode keeps `nodes.conf` in its own dir).
 */
export interface TestRedisCluster {
  readonly nodes: readonly TestRedisServer[];
  /** `redis+cluster://127.0.0.1:<port>,…`: every node, the form NS_REDIS_URL takes for a cluster. */
  readonly url: string;
  /** The master serving `key`'s slot (hash tags count, as in Redis). */
  nodeFor(key: string): Promise<TestRedisServer>;
  /** Resolves once every running node reports `cluster_state:ok`. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their dirs. */
  close(): Promise<void>;
}

/** The first redis-server version with sharded pub/sub (SSUBSCRIBE, SPUBLISH). */
export const SHARDED_PUBSUB_SINCE = 7;

/**
 * Starts `masters` cluster-mode redis-servers on free ports (each with its own free bus port) and
 * joins them with `redis-cli --cluster create … --cluster-yes`. `nodeTimeoutMs` is how soon the others
 * declare a silent master failed (cluster_state:fail until it is back).
 */
export async function startRedisCluster(options: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3;
  const nodes: TestRedisServer[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer({
          args: async () => [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-port',
            String(await freePort()),
            '--cluster-node-timeout',
            String(options.nodeTimeoutMs ?? 2000),
          ],
        }),
      );
    }
    const [first] = nodes as [TestRedisServer];
    await redisCommand(first, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes');
  } catch (err) {
    await Promise.all(nodes.map((n) => n.close()));
    throw err;
  }
  const healthy = (timeoutMs = 20_000) =>
    eventually(
      'cluster_state:ok on every node',
      async () => {
        for (const n of nodes) {
          if (n.pid === undefined) continue;
          if (!(await redisCommand(n, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        }
        return true;
      },
      timeoutMs,
      100,
    );
  await healthy();
  return {
    nodes,
    url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    async nodeFor(key) {
      // Asked of a running node; `CLUSTER NODES` lists each master's address and slot ranges.
      const live = nodes.find((n) => n.pid !== undefined) as TestRedisServer;
      const slot = Number(await redisCommand(live, 'CLUSTER', 'KEYSLOT', key));
      const lines = (await redisCommand(live, 'CLUSTER', 'NODES')).split('\n');
      for (const line of lines) {
        const [, address, flags, , , , , , ...ranges] = line.split(' ');
        if (!flags?.includes('master')) continue;
        const port = Number(/:(\d+)@/.exec(address ?? '')?.[1]);
        for (const range of ranges) {
          const [from, to = from] = range.split('-').map(Number) as [number, number?];
          if (slot >= from && slot <= (to as number)) {
            const node = nodes.find((n) => n.port === port);
            if (node !== undefined) return node;
          }
        }
      }
      throw new Error(`no master found for slot ${slot} of ${key}`);
    },
    healthy,
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
    },
  };
}

/** The major version of the installed redis-server, from `redis-server --version`. */
export async function redisServerMajor(server: TestRedisServer): Promise<number> {
  const info = await redisCommand(server, 'INFO', 'server');
  return Number(/redis_version:(\d+)/.exec(info)?.[1]);
}
