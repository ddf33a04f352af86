import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, CHANNELS, channelForType, typesForChannel } from './channels.js';
import { EVENT_TYPE_NAMES } from './events.js';

describe('channel registry', () => {
  it('maps every event type to exactly one channel', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const owners = CHANNEL_NAMES.filter((c) => typesForChannel(c).includes(type as never));
      expect(owners, type).toEqual([channelForType(type)]);
    }
  });

  it('routes the seed types as DESIGN §4 says', () => {
    expect(channelForType('threat.new')).toBe('threats');
    expect(channelForType('alert.resolved')).toBe('alerts');
    expect(channelForType('status.update')).toBe('status');
    expect(channelForType('event.raw')).toBe('events');
    expect(CHANNELS.status.readPermission).toBeNull();
    expect(CHANNELS.alerts.readPermission).toBe('read:alerts');
  });
});
