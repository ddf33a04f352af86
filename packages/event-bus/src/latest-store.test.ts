import { describe, expect, it } from 'vitest';
import { LatestStore } from './latest-store.js';

const ev = (seq: number) => ({ envelope: { seq } });

describe('LatestStore', () => {
  it('keeps the latest event per key, in update order', () => {
    const store = new LatestStore(10);
    store.set('a', ev(1));
    store.set('b', ev(2));
    store.set('a', ev(3));
    expect(store.size).toBe(2);
    expect(store.get('a')).toEqual(ev(3));
    expect(store.after(0).map((e) => e.envelope.seq)).toEqual([2, 3]);
    expect(store.after(2).map((e) => e.envelope.seq)).toEqual([3]);
  });

  it('never holds more than maxKeys, evicting the least recently updated key', () => {
    const store = new LatestStore(1000);
    let evicted: string | undefined;
    for (let i = 0; i < 1500; i++) evicted = store.set(`component-${i}`, ev(i + 1)) ?? evicted;
    expect(store.size).toBe(1000);
    expect(evicted).toBe('component-499');
    expect(store.get('component-0')).toBeUndefined();
    expect(store.get('component-1499')).toEqual(ev(1500));
    // Refreshing a key protects it from the next eviction.
    store.set('component-500', ev(1501));
    expect(store.set('new', ev(1502))).toBe('component-501');
    expect(store.get('component-500')).toBeDefined();
  });

  it('empties on clear and rejects a bad cap', () => {
    const store = new LatestStore(2);
    store.set('a', ev(1));
    store.clear();
    expect(store.size).toBe(0);
    expect(() => new LatestStore(0)).toThrow(RangeError);
  });
});
