import { isIP } from 'node:net';

/**
 * Browser origins allowed to open a WebSocket (`NS_ALLOWED_ORIGINS`): a list of origins such as
 * `https://console.example.com`, or `'*'` (only by explicit choice).
 */
export type AllowedOrigins = readonly string[] | '*';

const normalize = (origin: string): string | undefined => {
  try {
    const u = new URL(origin);
    return u.origin === 'null' ? undefined : u.origin.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * True when a `Host` header names this machine's loopback or an IP address. Only such hosts are
 * trusted as "the page's own host": a DNS name can be re-pointed at the gateway by whoever controls
 * it (DNS rebinding), and a page on `http://attacker.example:8080` resolved to 127.0.0.1 sends
 * `Host: attacker.example:8080` with a matching `Origin`. An IP literal or `localhost` cannot be
 * rebound; a named host is trusted only when its origin is configured.
 */
export function isUnrebindableHost(host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return bare === 'localhost' || isIP(bare) !== 0;
}

/**
 * Compiles the origin policy. A request without `Origin` is a non-browser client and passes (it could
 * set any header anyway); a browser passes when its origin is listed, or is the page's own host when
 * that host is an IP address or `localhost` (same-origin, e.g. the gateway's console page opened by
 * address; see {@link isUnrebindableHost} for why named hosts must be listed). Everything else is
 * refused before the upgrade (403), which is what stops cross-site WebSocket hijacking.
 */
export function compileOriginPolicy(allowed: AllowedOrigins | undefined): (origin: string | undefined, host: string | undefined) => boolean {
  const listed: readonly string[] = allowed === '*' ? ['*'] : (allowed ?? []);
  const any = listed.includes('*');
  const list = new Set<string>();
  if (!any) {
    for (const o of listed) {
      const n = normalize(o.trim());
      if (n === undefined) throw new RangeError(`allowedOrigins: "${o}" is not an origin like https://host[:port]`);
      list.add(n);
    }
  }
  return (origin, host) => {
    if (origin === undefined) return true;
    if (any) return true;
    const n = normalize(origin);
    if (n === undefined) return false;
    if (list.has(n)) return true;
    return host !== undefined && new URL(n).host === host.toLowerCase() && isUnrebindableHost(host);
  };
}
