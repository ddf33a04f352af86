import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HandshakeDeadlines } from './handshake-deadlines.js';

describe('HandshakeDeadlines', () => {
  it('expires what was not cancelled, in arrival order, each once, never before its timeout', async () => {
    const deadlines = new HandshakeDeadlines(60);
    const expired: { name: string; lateBy: number }[] = [];
    const add = (name: string) => {
      const entry = deadlines.add(() => expired.push({ name, lateBy: performance.now() - entry.at }));
      return entry;
    };
    const a = add('a');
    const b = add('b');
    await sleep(30);
    const c = add('c');
    deadlines.cancel(b);
    expect(deadlines.size).toBe(2);
    expect(c.at - a.at).toBeGreaterThanOrEqual(29);
    await sleep(200);
    expect(expired.map((e) => e.name)).toEqual(['a', 'c']);
    for (const e of expired) expect(e.lateBy).toBeGreaterThanOrEqual(0);
    expect(deadlines.size).toBe(0);
  });

  it('serves a deadline added after every earlier one was cancelled', async () => {
    const deadlines = new HandshakeDeadlines(20);
    deadlines.cancel(deadlines.add(() => expect.unreachable('cancelled')));
    let fired = 0;
    deadlines.add(() => fired++);
    await sleep(80);
    expect(fired).toBe(1);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new HandshakeDeadlines(0)).toThrow(/handshakeTimeoutMs/);
  });
});
