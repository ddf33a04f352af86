import { describe, expect, it } from 'vitest';
import { closestKnownName, editDistance, unknownVariableWarnings } from './env-check.js';

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
