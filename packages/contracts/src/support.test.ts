import { describe, expect, it } from 'vitest';
import { ListenerList, silentLogger, type Logger } from './support.js';

function recorder() {
  const failures: { error: unknown; args: unknown[] }[] = [];
  return { failures, onError: (error: unknown, args: unknown[]) => failures.push({ error, args }) };
}

describe('ListenerList', () => {
  it('adds, removes through the returned function (once per registration), and clears', () => {
    const { onError } = recorder();
    const list = new ListenerList<() => void>(onError);
    const a = () => {};
    const b = () => {};
    const offA = list.add(a);
    const offB1 = list.add(b);
    list.add(b);
    expect(list.snapshot).toEqual([a, b, b]);
    offA();
    offA();
    offB1();
    offB1();
    expect(list.snapshot).toEqual([b]);
    expect(list.size).toBe(1);
    list.clear();
    expect(list.snapshot).toEqual([]);
  });

  it('emits to the listeners present when the emit starts, with the arguments, in order', () => {
    const { onError, failures } = recorder();
    const list = new ListenerList<(n: number, s: string) => void>(onError);
    const calls: string[] = [];
    let offB: () => void = () => {};
    list.add((n, s) => {
      calls.push(`a${n}${s}`);
      offB();
      list.add(() => calls.push('c'));
    });
    offB = list.add((n, s) => calls.push(`b${n}${s}`));
    list.emit(1, 'x');
    expect(calls).toEqual(['a1x', 'b1x']);
    list.emit(2, 'y');
    expect(calls).toEqual(['a1x', 'b1x', 'a2y', 'c']);
    expect(failures).toEqual([]);
  });

  it('reports a throwing listener with its error and arguments, and still runs the others', () => {
    const { onError, failures } = recorder();
    const list = new ListenerList<(n: number) => void>(onError);
    const seen: number[] = [];
    const boom = new Error('boom');
    list.add((n) => seen.push(n));
    list.add(() => {
      throw boom;
    });
    list.add((n) => seen.push(n * 10));
    list.add(() => {
      throw 'not an Error';
    });
    list.emit(3);
    expect(seen).toEqual([3, 30]);
    expect(failures).toEqual([
      { error: boom, args: [3] },
      { error: 'not an Error', args: [3] },
    ]);
  });
});

describe('silentLogger', () => {
  it('has every level of the Logger shape and discards the lines', () => {
    const logger: Logger = silentLogger;
    for (const level of ['error', 'warn', 'info', 'debug'] as const) expect(logger[level]({ a: 1 }, 'message')).toBeUndefined();
    expect(Object.isFrozen(silentLogger)).toBe(true);
  });
});
