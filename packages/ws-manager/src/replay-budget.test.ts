import { describe, expect, it } from 'vitest';
import { ReplayBudget } from './replay-budget.js';

describe('ReplayBudget', () => {
  it('lets a replay start while not in debt, charges it in full, and says when the debt is repaid', () => {
    let now = 0;
    const budget = new ReplayBudget(1000, 4000, () => now);
    expect(budget.waitMs()).toBe(0);
    // The first replay is never refused, however large.
    budget.spend(10_000);
    expect(budget.waitMs()).toBe(6000);
    now = 5_999;
    expect(budget.waitMs()).toBe(1);
    now = 6_000;
    expect(budget.waitMs()).toBe(0);
    budget.spend(500);
    expect(budget.waitMs()).toBe(500);
  });

  it('never holds more than the burst, however long it was idle', () => {
    let now = 0;
    const budget = new ReplayBudget(1000, 4000, () => now);
    now = 1_000_000;
    budget.spend(4001);
    expect(budget.waitMs()).toBe(1);
    expect(() => new ReplayBudget(0)).toThrow(RangeError);
  });
});
