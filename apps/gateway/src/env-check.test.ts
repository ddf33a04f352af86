import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closestKnownName, editDistance, unknownVariableWarnings } from './env-check.js';
import { PACKAGE_DIR } from './paths.js';

describe('unknown NS_* variables', () => {
  it('measures edit distance', () => {
    expect(editDistance('NS_PROT', 'NS_PORT')).toBe(2);
    expect(editDistance('NS_PORT', 'NS_PORT')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the closest known name, and the new name of a renamed one', () => {
    expect(closestKnownName('NS_PROT')).toBe('NS_PORT');
    expect(closestKnownName('NS_JWT_SECRETS')).toBe('NS_JWT_SECRET');
    expect(closestKnownName('ns_workers')).toBe('NS_WORKERS');
    expect(closestKnownName('NS_URL')).toBe('NS_GATEWAY_URL');
  });

  it('warns once per unknown NS_ variable, sorted, never quoting its value; ignores other prefixes', () => {
    const warnings = unknownVariableWarnings({ NS_PROT: 's3cret', NS_PORT: '1', HOME: '/root', NS_ENGNE: 'redis', NS_TOKEN: 't' });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^NS_ENGNE .*did you mean NS_ENGINE\?/);
    expect(warnings[1]).toMatch(/^NS_PROT .*did you mean NS_PORT\?/);
    expect(warnings.join()).not.toContain('s3cret');
  });
});

describe('one name for the gateway URL', () => {
  const root = join(PACKAGE_DIR, '..', '..');
  const files = [
    'apps/gateway/src/cli/main.ts',
    'apps/gateway/src/cli/help.ts',
    'apps/gateway/README.md',
    'README.md',
    'clients/python/README.md',
    'clients/python/netsentinel_gateway/netsentinel.py',
    'clients/python/examples/tail.py',
    'deploy/compose.yaml',
  ].filter((f) => existsSync(join(root, f)));

  it('is NS_GATEWAY_URL in the CLI, the Python client, the examples and the docs', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(readFileSync(join(root, f), 'utf8'), f).not.toMatch(/\bNS_(URL|GATEWAY_WS|GATEWAY|WS_URL)\b/);
    for (const f of ['apps/gateway/src/cli/main.ts', 'clients/python/netsentinel_gateway/netsentinel.py', 'clients/python/examples/tail.py']) {
      expect(readFileSync(join(root, f), 'utf8'), f).toContain('NS_GATEWAY_URL');
    }
  });
});
