import type { WireProtocol } from '../load/raw-subscriber.js';

/** The servers under test. */
export const SERVER_KINDS = ['gateway', 'gateway-sse', 'gateway-redis', 'gateway-cluster', 'ws', 'socketio'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** Without `--servers`: every kind but gateway-sse (the profiles' runs as they were before SSE). */
export const DEFAULT_SERVER_KINDS: readonly ServerKind[] = SERVER_KINDS.filter((k) => k !== 'gateway-sse');

/** Column headings. */
export const SERVER_LABELS: Record<ServerKind, string> = {
  gateway: 'gateway (memory)',
  'gateway-sse': 'gateway SSE (memory)',
  'gateway-redis': 'gateway (redis, 2 procs)',
  'gateway-cluster': 'gateway (Redis Cluster, 2 procs)',
  ws: 'plain ws loop',
  socketio: 'Socket.IO',
};

/** What the load generator speaks to each. */
export const PROTOCOL_OF: Record<ServerKind, WireProtocol> = {
  gateway: 'ns',
  'gateway-sse': 'sse',
  'gateway-redis': 'ns',
  'gateway-cluster': 'ns',
  ws: 'plain',
  socketio: 'socketio',
};
