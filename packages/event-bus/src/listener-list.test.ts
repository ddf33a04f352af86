import { describe, expect, it } from 'vitest';
import { ListenerList } from './listener-list.js';

describe('ListenerList', () => {
  it('adds, removes through the returned function, and clears', () => {
    const list = new ListenerList<() => void>();
    const a = () => {};
    const b = () => {};
    const offA = list.add(a);
    list.add(b);
    expect(list.snapshot).toEqual([a, b]);
    offA();
    expect(list.snapshot).toEqual([b]);
    list.clear();
    expect(list.snapshot).toEqual([]);
  });

  it('keeps a snapshot stable while listeners change during iteration', () => {
    const list = new ListenerList<() => void>();
    const calls: string[] = [];
    let offB: () => void = () => {};
    list.add(() => {
      calls.push('a');
      offB();
      list.add(() => calls.push('c'));
    });
    offB = list.add(() => calls.push('b'));
    for (const l of list.snapshot) l();
    expect(calls).toEqual(['a', 'b']);
    expect(list.snapshot).toHaveLength(2);
  });
});
