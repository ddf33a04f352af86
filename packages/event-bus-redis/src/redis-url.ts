/** Where the engine connects: one Redis, or the seed nodes of a Redis Cluster. */
export type RedisTarget =
  | { readonly cluster: false; readonly url: string }
  | {
      readonly cluster: true;
      /** Seed nodes: the client learns the rest of the cluster from any one of them. */
      readonly nodes: readonly { host: string; port: number }[];
      readonly username?: string;
      readonly password?: string;
      /** `rediss+cluster://`: TLS to every node. */
      readonly tls: boolean;
    };

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/**
 * Reads `NS_REDIS_URL`: `redis://` or `rediss://` for one Redis; `redis+cluster://[user:password@]host:port,host:port…`
 * (`rediss+cluster://` for TLS) for a Redis Cluster, naming one or more seed nodes. Throws an Error whose message says what is wrong (never repeating a password).
 */
export function parseRedisTarget(url: string): RedisTarget {
  const scheme = CLUSTER_SCHEME.exec(url);
  if (scheme !== null) return clusterTarget(url.slice(scheme[0].length), scheme[1]?.toLowerCase() === 'rediss');
  singleUrl(url);
  return { cluster: false, url };
}

function singleUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('must be a redis:// or rediss:// URL, or redis+cluster://host:port,host:port for a Redis Cluster');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error('must be a redis:// or rediss:// URL, or redis+cluster://host:port,host:port for a Redis Cluster');
  }
  return u;
}

function clusterTarget(rest: string, tls: boolean): RedisTarget {
  const path = rest.search(/[/?#]/);
  const authority = path < 0 ? rest : rest.slice(0, path);
  const at = authority.lastIndexOf('@');
  const userinfo = at < 0 ? '' : authority.slice(0, at);
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  if (hosts === '') throw new Error('redis+cluster:// names no node (host:port,host:port…)');
  const colon = userinfo.indexOf(':');
  const username = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? '' : userinfo.slice(colon + 1);
  const nodes = hosts.split(',').map((node) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(node.trim());
    if (m === null) throw new Error(`redis+cluster:// node "${node.slice(0, 80)}" is not host:port`);
    return { host: hostOf(m[1] as string), port: portOf(m[2] as string) };
  });
  return {
    cluster: true,
    nodes,
    ...(username !== '' && { username: decodeURIComponent(username) }),
    ...(password !== '' && { password: decodeURIComponent(password) }),
    tls,
  };
}

const hostOf = (host: string): string => (host.startsWith('[') ? host.slice(1, -1) : host);

function portOf(port: string): number {
  const n = port === '' ? 6379 : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new Error(`port ${port} is not between 1 and 65535`);
  return n;
}
