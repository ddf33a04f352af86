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
 * Compiles the origin policy. A request without `Origin` is a non-browser client and passes (it could
 * set any header anyway); a browser passes when its origin is listed or is the page's own host
 * (same-origin, e.g. the gateway's console page). Everything else is refused before the upgrade (403),
 * which is what stops cross-site WebSocket hijacking.
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
    return host !== undefined && new URL(n).host === host.toLowerCase();
  };
}
