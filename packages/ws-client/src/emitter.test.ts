import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

interface Events {
  ping: number;
  name: string;
}

describe('Emitter', () => {
  it('delivers typed payloads to every listener of the event', () => {
    const emitter = new Emitter<Events>();
    const seen: number[] = [];
    emitter.on('ping', (n) => seen.push(n));
    emitter.on('ping', (n) => seen.push(n * 10));
    emitter.on('name', () => seen.push(-1));
    emitter.emit('ping', 2);
    expect(seen).toEqual([2, 20]);
  });

  it('on() returns its own off, and calling it twice is harmless', () => {
    const emitter = new Emitter<Events>();
    const listener = vi.fn();
    const off = emitter.on('ping', listener);
    off();
    off();
    emitter.emit('ping', 1);
    expect(listener).not.toHaveBeenCalled();
    expect(emitter.listenerCount('ping')).toBe(0);
  });

  it('removes one registration per off() when the same function was added twice', () => {
    const emitter = new Emitter<Events>();
    const listener = vi.fn();
    const off = emitter.on('ping', listener);
    emitter.on('ping', listener);
    off();
    emitter.emit('ping', 1);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('iterates a snapshot: a listener added during dispatch waits for the next event', () => {
    const emitter = new Emitter<Events>();
    const late = vi.fn();
    emitter.on('ping', () => {
      emitter.on('ping', late);
    });
    emitter.emit('ping', 1);
    expect(late).not.toHaveBeenCalled();
    emitter.emit('ping', 2);
    expect(late).toHaveBeenCalledWith(2);
  });

  it('skips a listener that an earlier listener removed during the same dispatch', () => {
    const emitter = new Emitter<Events>();
    const second = vi.fn();
    let offSecond = (): void => {};
    emitter.on('ping', () => offSecond());
    offSecond = emitter.on('ping', second);
    emitter.emit('ping', 1);
    expect(second).not.toHaveBeenCalled();
  });

  it('keeps calling the other listeners when one throws, then throws an AggregateError', () => {
    const emitter = new Emitter<Events>();
    const after = vi.fn();
    emitter.on('ping', () => {
      throw new Error('boom');
    });
    emitter.on('ping', after);
    expect(() => emitter.emit('ping', 1)).toThrow(AggregateError);
    expect(after).toHaveBeenCalledWith(1);
  });

  it('hands listener failures to onListenerError instead of throwing when one is given', () => {
    const failures: [unknown, keyof Events][] = [];
    const emitter = new Emitter<Events>({ onListenerError: (err, event) => failures.push([err, event]) });
    const boom = new Error('boom');
    const after = vi.fn();
    emitter.on('name', () => {
      throw boom;
    });
    emitter.on('name', after);
    expect(() => emitter.emit('name', 'x')).not.toThrow();
    expect(failures).toEqual([[boom, 'name']]);
    expect(after).toHaveBeenCalled();
  });

  it('clear() removes every listener', () => {
    const emitter = new Emitter<Events>();
    const listener = vi.fn();
    emitter.on('ping', listener);
    emitter.clear();
    emitter.emit('ping', 1);
    expect(listener).not.toHaveBeenCalled();
  });
});
