import { describe, expect, it } from 'vitest';
import {
  CHANNEL_NAMES,
  ChannelNameSchema,
  CHANNELS,
  channelForType,
  historyToJson,
  isChannelName,
  latestKeyOf,
  typesForChannel,
} from './channels.js';
import { EVENT_TYPE_NAMES } from './events.js';

describe('channel registry', () => {
  it('maps every event type to exactly one channel', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const owners = CHANNEL_NAMES.filter((c) => typesForChannel(c).includes(type as never));
      expect(owners, type).toEqual([channelForType(type)]);
    }
  });

  it('routes the seed types as docs/protocol.md#channels says', () => {
    expect(channelForType('threat.new')).toBe('threats');
    expect(channelForType('alert.resolved')).toBe('alerts');
    expect(channelForType('status.update')).toBe('status');
    expect(channelForType('event.raw')).toBe('events');
    expect(CHANNELS.status.readPermission).toBeNull();
    expect(CHANNELS.alerts.readPermission).toBe('read:alerts');
  });

  it('holds the seven channels of docs/protocol.md#channels with their permission, delivery and history', () => {
    const rows = CHANNEL_NAMES.map((c) => [c, CHANNELS[c].readPermission, CHANNELS[c].delivery, historyToJson(CHANNELS[c].history)]);
    expect(rows).toEqual([
      ['threats', 'read:events', 'lossless', { kind: 'ring', size: 1000 }],
      ['alerts', 'read:alerts', 'lossless', { kind: 'ring', size: 1000 }],
      ['status', null, 'latest', { kind: 'latest', key_field: 'component', max_keys: 10_000 }],
      ['metrics', 'read:events', 'latest', { kind: 'latest', key_field: 'component', max_keys: 10_000 }],
      ['events', 'read:events', 'ephemeral', { kind: 'none' }],
      ['correlations', 'read:events', 'lossless', { kind: 'ring', size: 500 }],
      ['system', null, 'lossless', { kind: 'ring', size: 100 }],
    ]);
  });

  it('lists the types of a channel in registry order', () => {
    expect(typesForChannel('alerts')).toEqual(['alert.new', 'alert.acknowledged', 'alert.resolved']);
    expect(typesForChannel('threats')).toEqual(['threat.new']);
  });

  it('tells channel names from other strings, including inherited property names', () => {
    expect(isChannelName('threats')).toBe(true);
    expect(isChannelName('toString')).toBe(false);
    expect(isChannelName(undefined)).toBe(false);
    expect(ChannelNameSchema.safeParse('secrets').success).toBe(false);
  });

  it('keys latest-value channels by component and nothing else', () => {
    expect(latestKeyOf('status', { component: 'event_processor', status: 'healthy' })).toBe('event_processor');
    expect(latestKeyOf('metrics', { component: 'kafka' })).toBe('kafka');
    expect(latestKeyOf('status', { status: 'healthy' })).toBeUndefined();
    expect(latestKeyOf('status', null)).toBeUndefined();
    expect(latestKeyOf('threats', { component: 'x' })).toBeUndefined();
  });

  it('gives every channel a strict filter schema', () => {
    for (const c of CHANNEL_NAMES) {
      expect(CHANNELS[c].filter.safeParse({}).success, c).toBe(true);
      expect(CHANNELS[c].filter.safeParse({ no_such_field: 1 }).success, c).toBe(false);
    }
  });
});
