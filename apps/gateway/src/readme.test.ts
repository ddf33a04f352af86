import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, ROLES } from '@ns/contracts';
import { ENV_VARS } from './env-vars.js';
import { PACKAGE_DIR } from './paths.js';

describe('README operations section', () => {
  const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');

  it('documents every variable with the default the code uses', () => {
    for (const v of ENV_VARS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      expect(row).toContain(v.default === undefined ? '*(unset)*' : `\`${v.default}\``);
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
