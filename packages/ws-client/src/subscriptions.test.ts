import { describe, expect, it } from 'vitest';
import { canonicalJson, SubscriptionRegistry } from './subscriptions.js';

describe('canonicalJson', () => {
  it('compares objects regardless of key order, arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 0 } })).toBe(canonicalJson({ a: { c: 0, d: [2, 1] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe('SubscriptionRegistry', () => {
  it('creates one subscription per channel and shares it between handlers with the same filter', () => {
    const registry = new SubscriptionRegistry();
    const first = registry.add('threats', { min_score: 7, levels: ['high'] }, () => {});
    const second = registry.add('threats', { levels: ['high'], min_score: 7 }, () => {});
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.subscription).toBe(first.subscription);
    expect(first.subscription.handlers.size).toBe(2);
  });

  it('refuses a second subscription to a channel with another filter', () => {
    const registry = new SubscriptionRegistry();
    registry.add('threats', { min_score: 7 }, () => {});
    expect(() => registry.add('threats', { min_score: 8 }, () => {})).toThrow(/already subscribed to "threats"/);
    expect(() => registry.add('threats', undefined, () => {})).toThrow(TypeError);
  });

  it('tells the caller when removing the last handler emptied the subscription, once', () => {
    const registry = new SubscriptionRegistry();
    const a = registry.add('alerts', undefined, () => {});
    const b = registry.add('alerts', undefined, () => {});
    expect(a.remove()).toBe(false);
    expect(b.remove()).toBe(true);
    expect(b.remove()).toBe(false);
    expect(registry.get('alerts')).toBeUndefined();
  });

  it('does not let a stale remover delete a newer subscription of the same channel', () => {
    const registry = new SubscriptionRegistry();
    const old = registry.add('alerts', undefined, () => {});
    old.remove();
    const fresh = registry.add('alerts', { tags: ['ssh'] }, () => {});
    expect(old.remove()).toBe(false);
    expect(registry.get('alerts')).toBe(fresh.subscription);
  });
});
