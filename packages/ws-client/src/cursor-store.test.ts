import type { SubscribedMessage } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { CursorStore } from './cursor-store.js';

const subscribed = (fields: Partial<SubscribedMessage> = {}): SubscribedMessage => ({
  type: 'subscribed',
  channel: 'threats',
  epoch: 'e1',
  seq: 0,
  recovered: true,
  replayed: 0,
  ...fields,
});
const ev = (seq: number, epoch = 'e1') => ({ channel: 'threats' as const, epoch, seq });

describe('CursorStore', () => {
  it('starts a fresh subscription at the announced seq and delivers what follows', () => {
    const store = new CursorStore();
    expect(store.subscribed(subscribed({ seq: 41, recovered: false }), undefined)).toEqual({ gap: false });
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 41 });
    expect(store.accept(ev(42))).toBe('deliver');
    expect(store.accept(ev(43))).toBe('deliver');
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 43 });
  });

  it('drops seq at or below the cursor in the same epoch', () => {
    const store = new CursorStore();
    store.subscribed(subscribed({ seq: 10 }), undefined);
    expect(store.accept(ev(11))).toBe('deliver');
    expect(store.accept(ev(11))).toBe('duplicate');
    expect(store.accept(ev(5))).toBe('duplicate');
    expect(store.accept(ev(12))).toBe('deliver');
  });

  it('keeps order across holes (a filtered stream skips seqs)', () => {
    const store = new CursorStore();
    store.subscribed(subscribed({ seq: 0 }), undefined);
    expect([ev(3), ev(9), ev(20)].map((e) => store.accept(e))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 20 });
  });

  it('resets the cursor on a new epoch and says so', () => {
    const store = new CursorStore();
    store.subscribed(subscribed({ seq: 100 }), undefined);
    expect(store.accept(ev(101))).toBe('deliver');
    expect(store.accept(ev(1, 'e2'))).toBe('new_epoch');
    expect(store.get('threats')).toEqual({ epoch: 'e2', seq: 1 });
    expect(store.accept(ev(2, 'e2'))).toBe('deliver');
    expect(store.accept(ev(1, 'e2'))).toBe('duplicate');
  });

  it('resumes a recovered subscription: replayed events above since are delivered, overlap dropped', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 10 });
    const since = store.get('threats');
    expect(store.subscribed(subscribed({ seq: 13, recovered: true, replayed: 5 }), since)).toEqual({ gap: false });
    // A server that replays two events too many: 9 and 10 are old news.
    expect([9, 10, 11, 12, 13].map((s) => store.accept(ev(s)))).toEqual(['duplicate', 'duplicate', 'deliver', 'deliver', 'deliver']);
    expect(store.accept(ev(14))).toBe('deliver');
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 14 });
  });

  it('follows each replayed event with the cursor, so a drop mid-replay resumes from the last one delivered', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 10 });
    store.subscribed(subscribed({ seq: 20, recovered: true, replayed: 10 }), store.get('threats'));
    store.accept(ev(11));
    store.accept(ev(12));
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 12 });
  });

  it('moves the cursor to the announced seq once a filtered replay is through', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 10 });
    store.subscribed(subscribed({ seq: 30, recovered: true, replayed: 2 }), store.get('threats'));
    store.accept(ev(15));
    store.accept(ev(22));
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 30 });
  });

  it('reports a gap when a resume was not recovered, and restarts at the announced position', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 10 });
    expect(store.subscribed(subscribed({ seq: 5000, recovered: false }), store.get('threats'))).toEqual({ gap: true });
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 5000 });
    expect(store.accept(ev(5001))).toBe('deliver');
  });

  it('reports a gap when the server answers with another epoch, even if it claims recovery', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 10 });
    expect(store.subscribed(subscribed({ epoch: 'e2', seq: 3, recovered: true }), store.get('threats'))).toEqual({ gap: true });
    expect(store.get('threats')).toEqual({ epoch: 'e2', seq: 3 });
  });

  it('lets a latest-per-key snapshot through although its seqs lie below the announced seq, in any order', () => {
    const store = new CursorStore();
    store.subscribed(subscribed({ channel: 'status', seq: 50, recovered: false, replayed: 3 }), undefined);
    const status = (seq: number) => ({ channel: 'status' as const, epoch: 'e1', seq });
    expect(store.get('status')).toBeUndefined(); // not committed until the whole snapshot arrived
    expect([status(40), status(7), status(50)].map((e) => store.accept(e))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(store.get('status')).toEqual({ epoch: 'e1', seq: 50 });
    expect(store.accept(status(49))).toBe('duplicate');
  });

  it('treats an event past the announced seq as live when the replay was shorter than announced', () => {
    const store = new CursorStore();
    store.subscribed(subscribed({ seq: 10, recovered: false, replayed: 3 }), undefined);
    expect(store.accept(ev(9))).toBe('deliver');
    expect(store.accept(ev(11))).toBe('deliver');
    expect(store.get('threats')).toEqual({ epoch: 'e1', seq: 11 });
    expect(store.accept(ev(8))).toBe('duplicate');
  });

  it('forgets a channel on delete and lists every cursor in snapshot()', () => {
    const store = new CursorStore();
    store.set('threats', { epoch: 'e1', seq: 1 });
    store.set('alerts', { epoch: 'e9', seq: 7 });
    store.delete('threats');
    expect(store.snapshot()).toEqual({ alerts: { epoch: 'e9', seq: 7 } });
  });
});
