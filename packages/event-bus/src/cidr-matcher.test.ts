import { describe, expect, it } from 'vitest';
import { compileCidrs, parseIp, parseNetworks } from './cidr-matcher.js';

describe('parseIp', () => {
  it('parses IPv4 into one integer', () => {
    expect(parseIp('10.0.0.1')).toEqual({ v: 4, n: 0x0a000001 });
    expect(parseIp('255.255.255.255')).toEqual({ v: 4, n: 0xffffffff });
  });

  it('parses IPv6 with compression, full form, zones and embedded IPv4', () => {
    expect(parseIp('2001:db8::1')).toEqual({ v: 6, w: [0x20010db8, 0, 0, 1] });
    expect(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')).toEqual(parseIp('2001:db8::1'));
    expect(parseIp('::')).toEqual({ v: 6, w: [0, 0, 0, 0] });
    expect(parseIp('fe80::1%eth0')).toEqual({ v: 6, w: [0xfe800000, 0, 0, 1] });
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual({ v: 6, w: [0x0064ff9b, 0, 0, 0xc0000221] });
    expect(parseIp('1:2:3:4:5:6:7::')).toEqual({ v: 6, w: [0x00010002, 0x00030004, 0x00050006, 0x00070000] });
  });

  it('returns IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ v: 4, n: 0x0a000001 });
    expect(parseIp('::ffff:a00:1')).toEqual({ v: 4, n: 0x0a000001 });
  });

  it.each(['', '1.2.3', '1.2.3.256', '1..2.3', '.1.2.3', '1.2.3.', '0001.1.1.1', '1.2.3.4x', '1.2.3.4.', '1.2.3.4.5', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1.2.3', '1:2:3:4:5:6:7:8::'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('compileCidrs', () => {
  it('matches IPv4 networks and single addresses', () => {
    const match = compileCidrs(['192.168.0.0/16', '10.1.2.3', '0.0.0.0/0']);
    expect(match('192.168.44.1')).toBe(true);
    expect(match('10.1.2.3')).toBe(true);
    const narrow = compileCidrs(['192.168.0.0/16', '10.1.2.3']);
    expect(narrow('192.169.0.1')).toBe(false);
    expect(narrow('10.1.2.4')).toBe(false);
    expect(narrow('2001:db8::1')).toBe(false);
  });

  it('matches IPv6 networks at every word boundary', () => {
    const match = compileCidrs(['2001:db8::/32', 'fd00:1:2:3::/64', 'fe80::1']);
    expect(match('2001:db8:ffff::1')).toBe(true);
    expect(match('2001:db9::1')).toBe(false);
    expect(match('fd00:1:2:3:aaaa::1')).toBe(true);
    expect(match('fd00:1:2:4::1')).toBe(false);
    expect(match('fe80::1')).toBe(true);
    expect(match('fe80::2')).toBe(false);
    expect(match('10.0.0.1')).toBe(false);
    expect(compileCidrs(['::/0'])('2a00:1450::1')).toBe(true);
    expect(compileCidrs(['2001:db8::/127'])('2001:db8::1')).toBe(true);
    expect(compileCidrs(['2001:db8::/127'])('2001:db8::2')).toBe(false);
  });

  it('treats IPv4-mapped IPv6 addresses and networks as IPv4', () => {
    expect(compileCidrs(['10.0.0.0/8'])('::ffff:10.9.9.9')).toBe(true);
    const mapped = compileCidrs(['::ffff:10.0.0.0/104']);
    expect(mapped('10.200.0.1')).toBe(true);
    expect(mapped('11.0.0.1')).toBe(false);
    const wide = compileCidrs(['::ffff:0.0.0.0/80']);
    expect(wide('1.2.3.4')).toBe(true);
    expect(wide('::1')).toBe(true);
    expect(wide('2001:db8::1')).toBe(false);
  });

  it('does not match unparsable addresses', () => {
    expect(compileCidrs(['0.0.0.0/0'])('not-an-ip')).toBe(false);
  });

  it.each(['10.0.0.0/33', '2001:db8::/129', 'nope/8', '10.0.0.0/x'])('throws on the malformed network %j', (cidr) => {
    expect(() => compileCidrs([cidr])).toThrow(RangeError);
  });
});

describe('compileCidrs word by word', () => {
  // Each IPv6 word is compared on its own; a prefix ending inside a word must compare that word, and
  // the words after it must not matter.
  it.each([
    // [network, inside, outside] where inside and outside differ only in the word the prefix ends in
    ['2001:db8::/16', '2001:ffff::1', '2002:db8::1'],
    ['2001:db8:aaaa::/48', '2001:db8:aaaa:ffff::1', '2001:db8:aaab::1'],
    ['2001:db8:0:0:1::/80', '2001:db8::1:ffff:0:1', '2001:db8::2:0:0:1'],
    ['2001:db8::1:2:3:0/112', '2001:db8::1:2:3:ffff', '2001:db8::1:2:4:0'],
  ])('compares the word a /%s prefix ends in', (network, inside, outside) => {
    const match = compileCidrs([network]);
    expect(match(inside)).toBe(true);
    expect(match(outside)).toBe(false);
  });

  it('compares the third word even when the others match (a /96 network)', () => {
    const match = compileCidrs(['2001:db8:1:2:3:4::/96']);
    expect(match('2001:db8:1:2:3:4:ffff:ffff')).toBe(true);
    expect(match('2001:db8:1:2:3:5::')).toBe(false);
    expect(match('2001:db8:1:2:4:4::')).toBe(false);
  });
});

describe('IPv4-mapped detection', () => {
  // Only ::ffff:a.b.c.d is an IPv4 host; an address sharing any two of its three leading words is not.
  it.each(['2001:db8::ffff:a00:1', '0:0:1:0:0:ffff:a00:1', '::ffff:0:a00:1', '::a00:1'])('keeps %s an IPv6 address', (text) => {
    expect(parseIp(text)?.v).toBe(6);
    expect(compileCidrs(['10.0.0.0/8'])(text)).toBe(false);
    expect(compileCidrs(['0.0.0.0/0'])(text)).toBe(false);
  });

  it('matches the mapped form of an address inside an IPv4 network, and only that', () => {
    const match = compileCidrs(['10.0.0.0/8']);
    expect(match('::ffff:a00:1')).toBe(true);
    expect(match('::ffff:b00:1')).toBe(false);
  });
});

describe('address and network syntax (issue 22 survivors)', () => {
  it('takes only a dot between IPv4 octets', () => {
    for (const text of ['10-0-0-1', '10 0 0 1', '10,0.0.1']) {
      expect(parseIp(text), text).toBeUndefined();
      expect(compileCidrs(['10.0.0.0/8'])(text), text).toBe(false);
    }
  });

  it('takes an embedded IPv4 address only as the last part of an IPv6 address', () => {
    expect(parseIp('::10.0.0.1:1')).toBeUndefined();
    expect(parseIp('64:ff9b::10.0.0.1:0')).toBeUndefined();
    expect(compileCidrs(['::/0'])('::10.0.0.1:1')).toBe(false);
  });

  it('compares only the first 97 bits of a /97 IPv6 network: all of the first word', () => {
    // A prefix beyond 32 bits must mask the first word completely (0xffffffff), not by a shift
    // count taken modulo 32.
    const match = compileCidrs(['2001:db8::/97']);
    expect(match('2001:db8::1')).toBe(true);
    expect(match('2001:db8::7fff:ffff')).toBe(true);
    expect(match('2002:db8::1')).toBe(false);
    expect(match('3001:db8::1')).toBe(false);
    expect(match('2001:db8::8000:0')).toBe(false);
  });

  it.each([
    ['10.0.0.0/x8', 'invalid network "10.0.0.0/x8"'],
    ['10.0.0.0/8x', 'invalid network "10.0.0.0/8x"'],
    ['10.0.0.0/1234', 'invalid network "10.0.0.0/1234"'],
    ['10.0.0.0/', 'invalid network "10.0.0.0/"'],
    ['10.0.0.0/33', 'invalid prefix length in "10.0.0.0/33"'],
    ['::ffff:10.0.0.0/129', 'invalid prefix length in "::ffff:10.0.0.0/129"'],
  ])('refuses %j, saying what is wrong', (cidr, message) => {
    expect(() => parseNetworks([cidr])).toThrow(new RangeError(message));
  });

  it('parses networks into exactly one masked entry each, on the side they match', () => {
    expect(parseNetworks([])).toEqual({ v4: [], v6: [] });
    expect(parseNetworks(['10.1.2.3/8', '10.1.2.3'])).toEqual({
      v4: [
        { net: 0x0a000000, mask: 0xff000000 },
        { net: 0x0a010203, mask: 0xffffffff },
      ],
      v6: [],
    });
    expect(parseNetworks(['2001:db8::/32'])).toEqual({
      v4: [],
      v6: [{ n0: 0x20010db8, n1: 0, n2: 0, n3: 0, m0: 0xffffffff, m1: 0, m2: 0, m3: 0 }],
    });
  });

  it('keeps an IPv4-mapped network of 96 bits or more on the IPv4 side only', () => {
    expect(parseNetworks(['::ffff:10.0.0.0/104'])).toEqual({ v4: [{ net: 0x0a000000, mask: 0xff000000 }], v6: [] });
    expect(parseNetworks(['::ffff:0.0.0.0/96'])).toEqual({ v4: [{ net: 0, mask: 0 }], v6: [] });
  });

  it('keeps a shorter IPv4-mapped network on both sides, with the ::ffff words masked in', () => {
    // /95 ends inside the third word (0x0000ffff): its masked value is 0x0000fffe.
    expect(parseNetworks(['::ffff:0.0.0.0/95'])).toEqual({
      v4: [{ net: 0, mask: 0 }],
      v6: [{ n0: 0, n1: 0, n2: 0xfffe, n3: 0, m0: 0xffffffff, m1: 0xffffffff, m2: 0xfffffffe, m3: 0 }],
    });
    const match = compileCidrs(['::ffff:0.0.0.0/95']);
    expect(match('::fffe:0:1')).toBe(true);
    expect(match('1.2.3.4')).toBe(true);
    expect(match('::fffd:0:1')).toBe(false);
  });

  // Mutants left alive because no input can tell them apart (Stryker, issue 22):
  // - parseIpv4 `dots < 3` → true or `dots <= 3`: a fourth dot is refused by the final `dots === 3`.
  // - parseIpv6 `zone >= 0` → `zone > 0`: an address starting with '%' is refused either way.
  // - parseIpv6 `halves.length > 2` → false, and the `halves.length === 2 ? missing : 0` fill → missing:
  //   three halves, or one half with groups missing, are refused by the `missing` check after them.
  // - parseIpCached `text !== cachedText` → true: the cache only saves a parse.
  // - maskOf `bits >= 32` → `bits > 32`: at 32 the shift gives 0xffffffff too.
  // - parseNetworks `slash >= 0` → `slash > 0` (twice): a network starting with '/' has no address and
  //   is refused either way.
  // - parseNetworks `bitsText === undefined` → false: Number(undefined) is NaN, and maskOf(NaN) is
  //   0xffffffff, the full-length mask a single address gets anyway.
});
