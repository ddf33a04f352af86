import { isIP } from 'node:net';

/** The host a client on this machine uses to reach a server listening on `host`. */
export function clientHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** `http://host:port` for a server listening on `host`. */
export function httpUrl(host: string, port: number): string {
  return `http://${clientHost(host)}:${port}`;
}

/** The /ws URL for an http(s) base URL. */
export function wsUrlOf(base: string): string {
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = u.pathname.replace(/\/?$/, '/ws').replace(/\/ws\/ws$/, '/ws');
  u.search = '';
  u.hash = '';
  return u.toString();
}
