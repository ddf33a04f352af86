import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
