import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which peers' `X-Forwarded-For` is believed (`NS_TRUST_PROXY`): `false` (never, the default), `true`
 * (every peer: the leftmost address is the client), or a list of proxy addresses / CIDR blocks
 * (`loopback` stands for 127.0.0.0/8 and ::1).
 */
export type TrustProxy = boolean | readonly string[];

/** Strips the IPv4-mapped IPv6 prefix so that one client has one key. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Compiles a trust list into a predicate; throws on an entry that is neither an address nor a CIDR block. */
export function compileTrust(trust: TrustProxy): (address: string) => boolean {
  if (trust === true) return () => true;
  if (trust === false || trust.length === 0) return () => false;
  const list = new BlockList();
  for (const raw of trust) {
    const entry = raw.trim();
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new RangeError(`trustProxy: "${entry}" is not an IP address or CIDR block`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new RangeError(`trustProxy: bad prefix in "${entry}"`);
      list.addSubnet(address, prefix, type);
    }
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: the socket peer, or — when the peer is a trusted proxy — the address its
 * `X-Forwarded-For` names, walking right to left past every trusted hop (so a client cannot spoof
 * its way past the proxy by sending its own header).
 */
export function clientIp(req: IncomingMessage, trusted: (address: string) => boolean, trustAll = false): string {
  const peer = normalizeIp(req.socket.remoteAddress ?? '');
  if (!trusted(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  if (header === undefined) return peer;
  const hops = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((h) => normalizeIp(h.trim()))
    .filter((h) => h !== '');
  if (trustAll) return hops.find((h) => isIP(h) !== 0) ?? peer;
  let hop = peer;
  while (trusted(hop) && hops.length > 0) {
    const next = hops.pop() as string;
    if (isIP(next) === 0) break;
    hop = next;
  }
  return hop;
}
