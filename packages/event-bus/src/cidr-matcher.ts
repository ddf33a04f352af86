/**
 * CIDR matching prepared up front: networks are parsed once into integers and masks, so matching an
 * address costs one parse (cached for the last address, because a dispatch asks every subscription
 * about the same event) and a few integer comparisons per network.
 */

/** A parsed address: IPv4 as one 32-bit integer, IPv6 as four 32-bit words (big-endian). */
export type ParsedIp = { readonly v: 4; readonly n: number } | { readonly v: 6; readonly w: readonly number[] };

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

// A char-code loop rather than split + regex: this runs once per dispatched threat with a CIDR filter.
function parseIpv4(text: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 46 && digits > 0 && dots < 3) {
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? n * 256 + octet : undefined;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    // An embedded IPv4 address may end the address (`::ffff:10.0.0.1`).
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(p)) {
      out.push(parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function parseIpv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const left = parseGroups(halves[0] as string);
  const right = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (left === undefined || right === undefined) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const w: number[] = [];
  for (let i = 0; i < 8; i += 2) w.push(((groups[i] as number) * 0x10000 + (groups[i + 1] as number)) >>> 0);
  return w;
}

// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the same host as its IPv4 address (dual-stack sockets
// report IPv4 peers that way), so both forms match IPv4 networks.
const isMapped = (w: readonly number[]) => w[0] === 0 && w[1] === 0 && w[2] === 0xffff;

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 addresses come back as IPv4. */
export function parseIp(text: string): ParsedIp | undefined {
  if (text.includes(':')) {
    const w = parseIpv6(text);
    if (w === undefined) return undefined;
    return isMapped(w) ? { v: 4, n: w[3] as number } : { v: 6, w };
  }
  const n = parseIpv4(text);
  return n === undefined ? undefined : { v: 4, n };
}

let cachedText: string | undefined;
let cachedIp: ParsedIp | undefined;

/** {@link parseIp}, remembering the last address: a dispatch asks many matchers about the same event. */
export function parseIpCached(text: string): ParsedIp | undefined {
  if (text !== cachedText) {
    cachedIp = parseIp(text);
    cachedText = text;
  }
  return cachedIp;
}

const maskOf = (bits: number): number => (bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0);

/** An IPv4 network: the masked address and its mask. */
export interface V4Net {
  readonly net: number;
  readonly mask: number;
}

/** An IPv6 network as four masked words and four masks, unrolled so matching allocates nothing. */
export interface V6Net {
  n0: number;
  n1: number;
  n2: number;
  n3: number;
  m0: number;
  m1: number;
  m2: number;
  m3: number;
}

function v6Net(w: readonly number[], bits: number): V6Net {
  const [m0, m1, m2, m3] = [0, 1, 2, 3].map((i) => maskOf(bits - 32 * i)) as [number, number, number, number];
  const [w0, w1, w2, w3] = w as [number, number, number, number];
  return { n0: (w0 & m0) >>> 0, n1: (w1 & m1) >>> 0, n2: (w2 & m2) >>> 0, n3: (w3 & m3) >>> 0, m0, m1, m2, m3 };
}

/** Networks parsed for matching: IPv4 ones (masked network and mask) and IPv6 ones. */
export interface ParsedNetworks {
  readonly v4: readonly V4Net[];
  readonly v6: readonly V6Net[];
}

/**
 * Parses CIDR networks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses into masked integers, the
 * form both {@link compileCidrs} and the filter index match against. Throws `RangeError` on a
 * malformed network (callers validate first).
 */
export function parseNetworks(cidrs: readonly string[]): ParsedNetworks {
  const v4: V4Net[] = [];
  const v6: V6Net[] = [];
  for (const cidr of cidrs) {
    const slash = cidr.indexOf('/');
    const ip = parseIp(slash >= 0 ? cidr.slice(0, slash) : cidr);
    const bitsText = slash >= 0 ? cidr.slice(slash + 1) : undefined;
    if (ip === undefined || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) throw new RangeError(`invalid network "${cidr}"`);
    const written6 = cidr.includes(':');
    const bits = bitsText === undefined ? (written6 ? 128 : 32) : Number(bitsText);
    if (bits > (written6 ? 128 : 32)) throw new RangeError(`invalid prefix length in "${cidr}"`);
    if (ip.v === 6) {
      v6.push(v6Net(ip.w, bits));
    } else if (!written6) {
      const mask = maskOf(bits);
      v4.push({ net: (ip.n & mask) >>> 0, mask });
    } else {
      // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network 10.0.0.0/8; a shorter prefix
      // also covers plain IPv6 addresses, so it is kept on both sides.
      const mask = maskOf(bits - 96);
      v4.push({ net: (ip.n & mask) >>> 0, mask });
      if (bits < 96) v6.push(v6Net([0, 0, 0xffff, ip.n], bits));
    }
  }
  return { v4, v6 };
}

/**
 * Compiles CIDR networks (`10.0.0.0/8`, `2001:db8::/32`) or single addresses into one matcher
 * `(address) => boolean`. Throws `RangeError` on a malformed network (callers validate first).
 */
export function compileCidrs(cidrs: readonly string[]): (address: string) => boolean {
  const { v4, v6 } = parseNetworks(cidrs);
  return (address: string) => {
    const ip = parseIpCached(address);
    if (ip === undefined) return false;
    if (ip.v === 4) {
      for (const { net, mask } of v4) if (((ip.n & mask) >>> 0) === net) return true;
      return false;
    }
    const [w0, w1, w2, w3] = ip.w as [number, number, number, number];
    for (const n of v6) {
      if (
        ((w0 & n.m0) >>> 0) === n.n0 &&
        ((w1 & n.m1) >>> 0) === n.n1 &&
        ((w2 & n.m2) >>> 0) === n.n2 &&
        ((w3 & n.m3) >>> 0) === n.n3
      ) {
        return true;
      }
    }
    return false;
  };
}
