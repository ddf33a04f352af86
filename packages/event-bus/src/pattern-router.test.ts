import { describe, expect, it } from 'vitest';
import { resolvePattern } from './event-pattern.js';
import { PatternRouter } from './pattern-router.js';

describe('PatternRouter', () => {
  it('indexes subscriptions per event type, so a type sees only its own subscriptions', () => {
    const router = new PatternRouter<string>();
    router.add(resolvePattern('threat.new').types, 'exact');
    router.add(resolvePattern('alerts').types, 'alerts-channel');
    router.add(resolvePattern('*').types, 'all');
    router.add(resolvePattern('alert.*').types, 'alert-wildcard');
    expect(router.get('threat.new')).toEqual(['exact', 'all']);
    expect(router.get('alert.resolved')).toEqual(['alerts-channel', 'all', 'alert-wildcard']);
    expect(router.get('status.update')).toEqual(['all']);
    expect(router.size).toBe(4);
  });

  it('hands out immutable snapshots: changes during a dispatch do not affect it', () => {
    const router = new PatternRouter<string>();
    const removeA = router.add(['threat.new'], 'a');
    router.add(['threat.new'], 'b');
    const snapshot = router.get('threat.new');
    removeA();
    router.add(['threat.new'], 'c');
    expect(snapshot).toEqual(['a', 'b']);
    expect(router.get('threat.new')).toEqual(['b', 'c']);
  });

  it('removes once, even when the removal is called twice, and clears everything', () => {
    const router = new PatternRouter<string>();
    const remove = router.add(['threat.new', 'alert.new'], 'x');
    remove();
    remove();
    expect(router.size).toBe(0);
    expect(router.get('alert.new')).toEqual([]);
    router.add(['threat.new'], 'y');
    router.clear();
    expect(router.get('threat.new')).toEqual([]);
    expect(router.size).toBe(0);
  });
});
