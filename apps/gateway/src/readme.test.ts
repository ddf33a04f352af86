import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, ROLES } from '@ns/contracts';
import { helpText } from './cli/help.js';
import { ENV_TABLE_COMMAND, envHelpSection, withEnvTable } from './env-docs.js';
import { ENV_VARS } from './env-vars.js';
import { PACKAGE_DIR } from './paths.js';

describe('the variable table (src/env-vars.ts) and its renderings', () => {
  const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');

  it(`is what README.md shows (regenerate with \`${ENV_TABLE_COMMAND}\`)`, () => {
    const current = readme === withEnvTable(readme);
    expect(current, `apps/gateway/README.md's variable table differs from src/env-vars.ts: run \`${ENV_TABLE_COMMAND}\` and commit README.md`).toBe(true);
    for (const v of ENV_VARS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      expect(row).toContain(v.default === undefined ? '*(unset)*' : `\`${v.default}\``);
    }
  });

  it('is what --help shows: every variable with its default and its whole description', () => {
    const help = helpText();
    expect(help).toContain(envHelpSection());
    const unwrapped = help.replace(/\n {52}/g, ' ');
    for (const v of ENV_VARS) {
      const line = unwrapped.split('\n').find((l) => l.startsWith(`  ${v.name} `));
      expect(line, v.name).toBeDefined();
      expect(line).toContain(`[${v.default ?? 'unset'}]`);
      expect(line?.endsWith(v.description), v.name).toBe(true);
    }
  });

  it('has one entry per name, NS_-prefixed, with a description and a default its own parser accepts', () => {
    expect(new Set(ENV_VARS.map((v) => v.name)).size).toBe(ENV_VARS.length);
    const fields = ENV_VARS.flatMap((v) => ('field' in v ? [v.field] : []));
    expect(new Set(fields).size).toBe(fields.length);
    for (const v of ENV_VARS) {
      expect(v.name).toMatch(/^NS_[A-Z0-9_]+$/);
      expect(v.description.length, v.name).toBeGreaterThan(10);
      expect(v.parse.safeParse(v.default).success, v.name).toBe(true);
    }
  });
});

describe('connection guide: getting a token', () => {
  const guide = readFileSync(join(PACKAGE_DIR, '..', '..', 'packages', 'ws-client', 'README.md'), 'utf8');

  it('lists each role with the permissions the gateway grants it', () => {
    for (const role of ROLES) {
      const row = guide.split('\n').find((l) => l.startsWith(`| \`${role}\` |`));
      expect(row, role).toBeDefined();
      const listed = (row as string).split('|')[2] as string;
      expect([...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1]), role).toEqual([...ROLE_PERMISSIONS[role]]);
    }
  });

  it('documents every claim the gateway reads, and the operator commands', () => {
    for (const claim of ['sub', 'username', 'roles', 'permissions', 'exp', 'jti', 'iss', 'aud']) expect(guide).toMatch(new RegExp(`^\\| \`${claim}\``, 'm'));
    expect(guide).toContain('ns-gateway token --sub');
    expect(guide).toContain('ns-gateway check-token');
  });
});
