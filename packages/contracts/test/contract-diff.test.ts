import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSchemaSets, pendingBump } from '../scripts/contract-diff.mjs';
import { schemaDocuments } from '../src/index.js';

type Change = { kind: 'breaking' | 'compatible'; path: string; message: string };
type Docs = Record<string, any>;

// Fixture edits of each kind on a copy of the real generated documents, classified by the same code
// `npm run check:contracts` runs.
const base: Docs = JSON.parse(JSON.stringify(schemaDocuments()));
const edited = (edit: (d: Docs) => void): Docs => {
  const d = structuredClone(base);
  edit(d);
  return d;
};
const diff = (edit: (d: Docs) => void): Change[] => diffSchemaSets(base, edited(edit)) as Change[];
const breaking = (changes: Change[]) => changes.filter((c) => c.kind === 'breaking');

describe('contract diff: breaking changes', () => {
  it('finds nothing between a generation and itself', () => {
    expect(diffSchemaSets(base, structuredClone(base))).toEqual([]);
  });

  it('a removed property of an output (delivered) schema, with its path', () => {
    const b = breaking(diff((d) => delete d['events/alert.new.json'].properties.ts));
    expect(b).toEqual([{ kind: 'breaking', path: 'events/alert.new.json#/properties/ts', message: 'property removed or renamed' }]);
  });

  it('a renamed property of a strict input (removed + new required)', () => {
    const b = breaking(
      diff((d) => {
        const s = d['publish/publish-event.json'].oneOf ?? d['publish/publish-event.json'].anyOf;
        const v = s[0];
        v.properties.payload = v.properties.data;
        delete v.properties.data;
        v.required = v.required.map((r: string) => (r === 'data' ? 'payload' : r));
      }),
    );
    expect(b.map((c) => c.message).sort()).toEqual(['new required property', 'property removed or renamed']);
    expect(b[0]?.path).toMatch(/^publish\/publish-event\.json#\/(oneOf|anyOf)\[type=threat\.new\]\/properties\/(data|payload)$/);
  });

  it('a type change, and a widened output type (string → string or null)', () => {
    expect(breaking(diff((d) => (d['data/metrics.update.json'].properties.component = { type: 'number' })))[0]).toMatchObject({
      path: 'data/metrics.update.json#/properties/component',
      message: 'type changed from string to number',
    });
    const widened = breaking(diff((d) => (d['events/alert.new.json'].$defs.Seq.type = ['integer', 'null'])));
    expect(widened.map((c) => c.message)).toContain('type widened: null now possible');
  });

  it('a narrowed enum, input or output', () => {
    const b = breaking(diff((d) => (d['filters/threats.json'].$defs.ThreatLevel.enum = ['high', 'critical'])));
    const b2 = breaking(diff((d) => d['messages/server/error.json'].$defs.ErrorCode.enum.pop()));
    expect(b.map((c) => c.message)).toContain('enum narrowed: "low", "medium" removed');
    expect(b2).toHaveLength(1);
    expect(b2[0]?.path).toBe('messages/server/error.json#/$defs/ErrorCode/enum');
  });

  it('a narrowed input range, and a widened output range', () => {
    expect(breaking(diff((d) => (d['data/threat.new.json'].properties.confidence.maximum = 0.5)))).toEqual([
      { kind: 'breaking', path: 'data/threat.new.json#/properties/confidence/maximum', message: 'maximum 1 → 0.5' },
    ]);
    expect(breaking(diff((d) => (d['events/alert.new.json'].$defs.Seq.minimum = 0)))[0]?.message).toBe('minimum 1 → 0');
  });

  it('a new required property on an input', () => {
    const b = breaking(
      diff((d) => {
        const s = d['data/status.update.json'];
        s.properties.region = { type: 'string' };
        s.required.push('region');
      }),
    );
    expect(b).toEqual([{ kind: 'breaking', path: 'data/status.update.json#/properties/region', message: 'new required property' }]);
  });

  it('a removed message, event type, channel or route', () => {
    expect(breaking(diff((d) => delete d['messages/client/ping.json']))[0]).toMatchObject({ path: 'messages/client/ping.json', kind: 'breaking' });
    expect(breaking(diff((d) => delete d['asyncapi.json'].channels.correlations)).map((c) => c.path)).toContain('asyncapi.json#/channels/correlations');
    expect(breaking(diff((d) => delete d['asyncapi.json'].components.messages.pong)).map((c) => c.message)).toContain('AsyncAPI message removed');
    expect(breaking(diff((d) => (d['channels.json'].channels = d['channels.json'].channels.filter((c: { name: string }) => c.name !== 'system')))).map((c) => c.path)).toContain(
      'channels.json#/channels/system',
    );
    expect(breaking(diff((d) => delete d['openapi.json'].paths['/readyz'])).map((c) => c.path)).toContain('openapi.json#/paths//readyz');
  });
});

describe('contract diff: compatible changes pass', () => {
  it('a new optional property, a new output property, a widened input enum, a new event type file', () => {
    const changes = diff((d) => {
      d['data/threat.new.json'].properties.region = { type: 'string' };
      d['events/alert.new.json'].properties.trace = { type: 'string' };
      d['events/alert.new.json'].required.push('trace');
      d['filters/threats.json'].$defs.ThreatLevel.enum.push('info');
      d['messages/server/error.json'].$defs.ErrorCode.enum.push('new_code');
      d['data/threat.escalated.json'] = { type: 'object' };
      d['asyncapi.json'].channels.audit = {};
    });
    expect(breaking(changes)).toEqual([]);
    expect(changes.length).toBeGreaterThanOrEqual(6);
  });

  it('a widened input range and a property that is no longer required on an input', () => {
    const changes = diff((d) => {
      d['data/threat.new.json'].properties.confidence.maximum = 2;
      d['data/alert.new.json'].required = d['data/alert.new.json'].required.filter((r: string) => r !== 'message');
    });
    expect(breaking(changes)).toEqual([]);
    expect(changes).toHaveLength(2);
  });
});

describe('pendingBump', () => {
  it('reads the highest bump of a package from changeset front matter', () => {
    const files = {
      'README.md': '---\n"@ns/contracts": major\n---\n',
      'a.md': '---\n"@ns/contracts": minor\n"@ns/gateway": patch\n---\n\ntext',
      'b.md': "---\n'@ns/contracts': major\n---\n",
    };
    expect(pendingBump(files, '@ns/contracts')).toBe('major');
    expect(pendingBump({ 'a.md': files['a.md'] }, '@ns/contracts')).toBe('minor');
    expect(pendingBump({ 'a.md': files['a.md'] }, '@ns/ws-client')).toBeNull();
  });
});

describe('npm run check:contracts (the script CI runs)', () => {
  const root = join(import.meta.dirname, '../../..');
  const run = (dir: string) => {
    try {
      return { code: 0, out: execFileSync('node', [join(dir, 'packages/contracts/scripts/check-contracts.mjs')], { encoding: 'utf8', stdio: 'pipe' }) };
    } catch (e) {
      const err = e as { status: number; stdout: string; stderr: string };
      return { code: err.status, out: err.stdout + err.stderr };
    }
  };

  it('passes on the repository, fails on a breaking edit, and passes again once a major changeset is recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-check-contracts-'));
    try {
      for (const p of ['schemas', 'packages/contracts/baseline', 'packages/contracts/scripts', 'packages/contracts/package.json']) cpSync(join(root, p), join(dir, p), { recursive: true });
      cpSync(join(root, '.changeset'), join(dir, '.changeset'), { recursive: true });
      expect(run(dir)).toMatchObject({ code: 0 });
      const file = join(dir, 'schemas/events/alert.new.json');
      const s = JSON.parse(readFileSync(file, 'utf8'));
      delete s.properties.ts;
      writeFileSync(file, JSON.stringify(s));
      const failed = run(dir);
      expect(failed.code).toBe(1);
      expect(failed.out).toContain('BREAKING events/alert.new.json#/properties/ts: property removed or renamed');
      writeFileSync(join(dir, '.changeset/drop-threat-score.md'), '---\n"@ns/contracts": major\n---\n\nalert.new loses ts.\n');
      expect(run(dir)).toMatchObject({ code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
