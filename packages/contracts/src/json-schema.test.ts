import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Cidr, IpAddress } from './primitives.js';
import {
  CIDRV6_PATTERN,
  IPV6_PATTERN,
  mapRefs,
  SCHEMA_BASE_URI,
  serializeJson,
  toJsonSchemaDocument,
  toJsonSchemaParts,
} from './json-schema.js';
import { ThreatData } from './events.js';
import { PublishEvent } from './publish.js';

const ipv6 = new RegExp(IPV6_PATTERN, 'u');
const cidrv6 = new RegExp(CIDRV6_PATTERN, 'u');

describe('toJsonSchemaDocument', () => {
  it('puts the schema itself at the top, with $schema, a stable $id and bundled $defs', () => {
    const doc = toJsonSchemaDocument(ThreatData, 'data/threat.new.json', 'input');
    expect(Object.keys(doc).slice(0, 3)).toEqual(['$schema', '$id', '$comment']);
    expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.$id).toBe(`${SCHEMA_BASE_URI}data/threat.new.json`);
    expect(doc.type).toBe('object');
    expect(doc.required).toEqual(['source_ip', 'threat_score', 'threat_level', 'timestamp']);
    expect(doc.$ref).toBeUndefined();
    expect(Object.keys(doc.$defs as object)).toEqual(['IpAddress', 'ThreatLevel', 'Timestamp']);
    expect(Object.keys(doc).at(-1)).toBe('$defs');
  });

  it('writes loose payloads as additionalProperties: true and strict objects as false', () => {
    expect(toJsonSchemaDocument(ThreatData, 'x.json', 'input').additionalProperties).toBe(true);
    const publish = toJsonSchemaDocument(PublishEvent, 'y.json', 'input');
    for (const branch of publish.oneOf as { additionalProperties: unknown }[]) expect(branch.additionalProperties).toBe(false);
  });

  it('is deterministic', () => {
    const a = serializeJson(toJsonSchemaDocument(PublishEvent, 'p.json', 'input'));
    const b = serializeJson(toJsonSchemaDocument(PublishEvent, 'p.json', 'input'));
    expect(a).toBe(b);
    expect(a.endsWith('}\n')).toBe(true);
  });

  it('points refs to the root at the document itself', () => {
    const Tree: z.ZodType = z
      .object({ name: z.string(), get children() {
        return z.array(Tree).optional();
      } })
      .meta({ id: 'TestTree' });
    const parts = toJsonSchemaParts(Tree, { io: 'output', target: 'draft-2020-12' });
    expect(JSON.stringify(parts.root)).toContain('"$ref":"#"');
    expect(parts.defs.TestTree).toBeUndefined();
  });

  it('refuses schemas JSON Schema cannot express instead of emitting something empty', () => {
    expect(() => toJsonSchemaDocument(z.object({ at: z.date() }), 'x.json', 'output')).toThrow();
  });
});

describe('mapRefs', () => {
  it('rewrites every $ref, deeply, without touching other strings', () => {
    const value = { $ref: '#/a', items: [{ $ref: '#/b', description: '#/a' }] };
    expect(mapRefs(value, (r) => r.toUpperCase())).toEqual({ $ref: '#/A', items: [{ $ref: '#/B', description: '#/a' }] });
  });
});

describe('IP patterns of the generated schemas', () => {
  it('accept exactly the IPv6 addresses Zod accepts, IPv4-embedded forms included', () => {
    const v6 = z.ipv6();
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%') })), (s) => {
        expect(ipv6.test(s), s).toBe(v6.safeParse(s).success);
      }),
      { numRuns: 3000 },
    );
    for (const s of ['::ffff:192.0.2.1', '64:ff9b::198.51.100.7', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4']) expect(ipv6.test(s), s).toBe(true);
    for (const s of ['::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:01.2.3.4', 'fe80::1%eth0']) {
      expect(ipv6.test(s), s).toBe(false);
      expect(v6.safeParse(s).success, s).toBe(false);
    }
  });

  it('accept exactly the IPv6 networks Zod accepts', () => {
    const net = z.cidrv6();
    fc.assert(
      fc.property(fc.tuple(fc.ipV6(), fc.integer({ min: -1, max: 130 })), ([ip, bits]) => {
        const s = `${ip}/${bits}`;
        expect(cidrv6.test(s), s).toBe(net.safeParse(s).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('carry the corrected pattern and only standard formats into the generated schemas', () => {
    const ip = JSON.stringify(toJsonSchemaDocument(IpAddress, 'ip.json', 'input'));
    expect(ip).toContain(JSON.stringify(IPV6_PATTERN));
    expect(ip).toMatch(/"format":"ipv4"/);
    expect(ip).toMatch(/"format":"ipv6"/);
    const cidr = JSON.stringify(toJsonSchemaDocument(Cidr, 'cidr.json', 'input'));
    expect(cidr).not.toMatch(/"format"/);
    expect(cidr).toContain(JSON.stringify(CIDRV6_PATTERN));
  });
});
