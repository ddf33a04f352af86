import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from './deadline-queue.js';

describe('DeadlineQueue', () => {
  it('expires what was not deleted, in arrival order, each once, never before its timeout', async () => {
    const expired: { name: string; lateBy: number }[] = [];
    const added = new Map<string, number>();
    const deadlines = new DeadlineQueue<string>(60, (name) => expired.push({ name, lateBy: performance.now() - (added.get(name) as number) }));
    const add = (name: string) => {
      deadlines.add(name);
      added.set(name, deadlines.expiresAt(name) as number);
    };
    add('a');
    add('b');
    await sleep(30);
    add('c');
    expect(deadlines.delete('b')).toBe(true);
    expect(deadlines.size).toBe(2);
    expect((added.get('c') as number) - (added.get('a') as number)).toBeGreaterThanOrEqual(29);
    await sleep(200);
    expect(expired.map((e) => e.name)).toEqual(['a', 'c']);
    for (const e of expired) expect(e.lateBy).toBeGreaterThanOrEqual(0);
    expect(deadlines.size).toBe(0);
    // An expired key is no longer there to delete: the caller learns it timed out.
    expect(deadlines.delete('a')).toBe(false);
  });

  it('serves a deadline added after every earlier one was deleted', async () => {
    let fired = 0;
    const deadlines = new DeadlineQueue<string>(20, (key) => {
      expect(key).toBe('live');
      fired++;
    });
    deadlines.add('gone');
    deadlines.delete('gone');
    deadlines.add('live');
    await sleep(80);
    expect(fired).toBe(1);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new DeadlineQueue(0, () => undefined)).toThrow(/deadline timeout must be > 0 ms/);
  });
});
