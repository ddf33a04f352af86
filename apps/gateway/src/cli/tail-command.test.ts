import { describe, expect, it } from 'vitest';
import { planSubscriptions } from './tail-command.js';

describe('planSubscriptions', () => {
  it('expands all to every channel of the registry', () => {
    expect([...planSubscriptions(['all'], []).keys()]).toEqual(['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system']);
  });

  it('applies a bare filter to every tailed channel and a named one to its channel only', () => {
    const plan = planSubscriptions(['threats', 'alerts'], ['alerts={"severities":["critical"]}', 'threats={"min_score":7}']);
    expect(plan.get('threats')).toEqual({ min_score: 7 });
    expect(plan.get('alerts')).toEqual({ severities: ['critical'] });
  });

  it('rejects unknown channels and filters that do not fit the channel, naming the field', () => {
    expect(() => planSubscriptions(['threatz'], [])).toThrow(/unknown channel "threatz"/);
    expect(() => planSubscriptions(['threats'], ['{"min_scor":7}'])).toThrow(/--filter for threats/);
    expect(() => planSubscriptions(['threats'], ['{"levels":["severe"]}'])).toThrow(/levels\[0\]/);
    expect(() => planSubscriptions([], [])).toThrow(/at least one channel/);
  });
});
