import { NsError } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { TransformChain } from './transform-chain.js';

describe('TransformChain', () => {
  it('runs the transforms of a type in registration order', () => {
    const chain = new TransformChain();
    chain.use('threat.new', (d) => ({ ...d, trail: [...((d.trail as string[]) ?? []), 'exact'] }));
    chain.use('*', (d) => ({ ...d, trail: [...((d.trail as string[]) ?? []), 'all'] }));
    chain.use('threats', (d, e) => ({ ...d, trail: [...((d.trail as string[]) ?? []), `channel:${e.id}`] }));
    chain.use('alert.*', (d) => ({ ...d, alert: true }));
    expect(chain.apply('threat.new', 'evt_1', {})).toEqual({ trail: ['exact', 'all', 'channel:evt_1'] });
    expect(chain.apply('alert.new', 'evt_2', {})).toEqual({ trail: ['all'], alert: true });
    expect(chain.isEmptyFor('threat.new')).toBe(false);
  });

  it('forgets a removed transform', () => {
    const chain = new TransformChain();
    const remove = chain.use('status.update', (d) => ({ ...d, x: 1 }));
    expect(chain.apply('status.update', 'e', {})).toEqual({ x: 1 });
    remove();
    expect(chain.isEmptyFor('status.update')).toBe(true);
    expect(chain.apply('status.update', 'e', { y: 2 })).toEqual({ y: 2 });
  });

  it('fails with internal when a transform throws or returns a non-object', () => {
    const chain = new TransformChain();
    chain.use('threat.new', () => {
      throw new Error('boom');
    });
    chain.use('alert.new', () => null as unknown as Record<string, unknown>);
    chain.use('metrics.update', () => {
      throw new NsError('forbidden', 'nope');
    });
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as NsError).code;
      }
      return undefined;
    };
    expect(codeOf(() => chain.apply('threat.new', 'e', {}))).toBe('internal');
    expect(codeOf(() => chain.apply('alert.new', 'e', {}))).toBe('internal');
    expect(codeOf(() => chain.apply('metrics.update', 'e', {}))).toBe('forbidden');
  });

  it('rejects unknown patterns and non-functions', () => {
    const chain = new TransformChain();
    expect(() => chain.use('nope.*', (d) => d)).toThrow(NsError);
    expect(() => chain.use('threat.new', 'x' as never)).toThrow(NsError);
  });
});
