import { describe, expect, it } from 'vitest';
import { readDenial } from './access.js';
import { principalFromClaims, UNRESTRICTED_PRINCIPAL } from './auth.js';
import { CHANNEL_NAMES, CHANNEL_RULES } from './wire.js';

describe('readDenial', () => {
  it('lets anyone read a channel without a read permission', () => {
    expect(readDenial(null, 'status')).toBeNull();
    expect(readDenial(principalFromClaims({ sub: 'u' }), 'system')).toBeNull();
  });

  it('refuses a protected channel without credentials as unauthorized, naming the permission', () => {
    expect(readDenial(null, 'alerts')).toEqual({ code: 'unauthorized', message: 'channel alerts requires a token with read:alerts' });
    expect(readDenial(null, 'threats')).toEqual({ code: 'unauthorized', message: 'channel threats requires a token with read:events' });
  });

  it('refuses a principal lacking the permission as forbidden', () => {
    const eventsOnly = principalFromClaims({ sub: 'u', permissions: ['read:events'] });
    expect(readDenial(eventsOnly, 'threats')).toBeNull();
    expect(readDenial(eventsOnly, 'alerts')).toEqual({ code: 'forbidden', message: 'channel alerts requires read:alerts' });
  });

  it('lets the permission holder, admin and the unrestricted principal read every channel', () => {
    const admin = principalFromClaims({ sub: 'a', roles: ['admin'] });
    for (const channel of CHANNEL_NAMES) {
      expect(readDenial(admin, channel)).toBeNull();
      expect(readDenial(UNRESTRICTED_PRINCIPAL, channel)).toBeNull();
      const permission = CHANNEL_RULES[channel].readPermission;
      if (permission !== null) expect(readDenial({ permissions: [permission] }, channel)).toBeNull();
    }
  });
});
