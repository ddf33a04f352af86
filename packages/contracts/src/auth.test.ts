import { describe, expect, it } from 'vitest';
import {
  effectivePermissions,
  hasPermission,
  JwtClaims,
  PERMISSIONS,
  principalFromClaims,
  ROLE_PERMISSIONS,
  ROLES,
  UNRESTRICTED_PRINCIPAL,
} from './auth.js';

describe('roles and permissions', () => {
  it('map viewer and analyst to reading events and alerts, analyst also to acting on alerts, and admin to everything (docs/protocol.md#auth)', () => {
    expect(ROLES).toEqual(['viewer', 'analyst', 'admin']);
    expect(ROLE_PERMISSIONS.viewer).toEqual(['read:events', 'read:alerts']);
    expect(ROLE_PERMISSIONS.analyst).toEqual(['read:events', 'read:alerts', 'write:alerts']);
    expect(ROLE_PERMISSIONS.admin).toEqual(PERMISSIONS);
  });

  it('combine role and explicit permissions, in a fixed order, ignoring names the gateway does not know', () => {
    expect(effectivePermissions(['viewer'], ['write:events', 'billing:read'])).toEqual(['read:events', 'read:alerts', 'write:events']);
    expect(effectivePermissions(['superuser'], [])).toEqual([]);
    expect(effectivePermissions([], ['read:alerts'])).toEqual(['read:alerts']);
  });

  it('expand admin, held directly or through the role, to every permission', () => {
    expect(effectivePermissions([], ['admin'])).toEqual([...PERMISSIONS]);
    expect(effectivePermissions(['admin'], [])).toEqual([...PERMISSIONS]);
  });
});

describe('principalFromClaims', () => {
  it('takes the id from sub, else from user_id (numbers included), and keeps the username', () => {
    expect(principalFromClaims(JwtClaims.parse({ sub: 'u_42', username: 'alice', roles: ['analyst'] }))).toEqual({
      id: 'u_42',
      username: 'alice',
      roles: ['analyst'],
      permissions: ['read:events', 'read:alerts', 'write:alerts'],
    });
    expect(principalFromClaims(JwtClaims.parse({ user_id: 7, permissions: ['write:events'] }))).toEqual({
      id: '7',
      roles: [],
      permissions: ['write:events'],
    });
  });

  it('drops unknown roles from the principal', () => {
    expect(principalFromClaims(JwtClaims.parse({ sub: 'x', roles: ['viewer', 'wizard'] })).roles).toEqual(['viewer']);
  });

  it('is only reached with claims naming a user: JwtClaims requires sub or user_id', () => {
    const result = JwtClaims.safeParse({ username: 'nobody', exp: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['sub']);
  });

  it('passes claims of other services through JwtClaims untouched', () => {
    expect(JwtClaims.parse({ sub: 'u', iss: 'netsentinel', custom: { a: 1 } })).toMatchObject({ iss: 'netsentinel', custom: { a: 1 } });
  });
});

describe('hasPermission', () => {
  it('is false for anonymous (null) principals', () => {
    expect(hasPermission(null, 'read:events')).toBe(false);
  });

  it('holds for a granted permission and for admin, not otherwise', () => {
    const viewer = principalFromClaims({ sub: 'v', roles: ['viewer'] });
    expect(hasPermission(viewer, 'read:alerts')).toBe(true);
    expect(hasPermission(viewer, 'write:events')).toBe(false);
    expect(hasPermission({ id: 'a', roles: [], permissions: ['admin'] }, 'write:events')).toBe(true);
  });
});

describe('UNRESTRICTED_PRINCIPAL', () => {
  it('holds every permission and cannot be changed by the code that shares it', () => {
    expect(UNRESTRICTED_PRINCIPAL.permissions).toEqual([...PERMISSIONS]);
    expect(Object.isFrozen(UNRESTRICTED_PRINCIPAL)).toBe(true);
    expect(() => UNRESTRICTED_PRINCIPAL.permissions.pop()).toThrow(TypeError);
    expect(() => UNRESTRICTED_PRINCIPAL.roles.push('viewer')).toThrow(TypeError);
  });
});
