import { z } from 'zod';
import { PERMISSIONS } from './wire.js';
export { PERMISSIONS } from './wire.js';

/** Zod schema of a permission name. */
export const Permission = z.enum(PERMISSIONS).meta({
  id: 'Permission',
  title: 'Permission',
  description: '`admin` implies every other permission.',
  examples: ['read:alerts'],
});
export type Permission = z.infer<typeof Permission>;

/** Role names, as in NetSentinel's auth service. */
export const ROLES = ['viewer', 'analyst', 'admin'] as const;
/** Zod schema of a role name. */
export const Role = z.enum(ROLES).meta({
  id: 'Role',
  title: 'Role',
  description: 'viewer and analyst read events and alerts, analyst also acknowledges and resolves alerts; admin may do everything.',
  examples: ['analyst'],
});
export type Role = z.infer<typeof Role>;

/** What each role grants: viewers and analysts read both streams, analysts act on alerts; admins may do everything. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read:events', 'read:alerts'],
  analyst: ['read:events', 'read:alerts', 'write:alerts'],
  admin: PERMISSIONS,
};

/**
 * Claims of a NetSentinel JWT. `sub` or `user_id` names the user. Role and permission lists may hold
 * names this gateway does not know (other services' permissions); those are ignored, not rejected.
 */
export const JwtClaims = z
  .looseObject({
    sub: z.string().min(1).max(256).optional(),
    user_id: z.union([z.string().min(1).max(256), z.int()]).optional(),
    username: z.string().max(256).optional(),
    roles: z.array(z.string().max(128)).max(64).optional(),
    permissions: z.array(z.string().max(128)).max(256).optional(),
    exp: z.number().optional(),
    iat: z.number().optional(),
    nbf: z.number().optional(),
    jti: z.string().max(256).optional(),
  })
  .refine((c) => c.sub !== undefined || c.user_id !== undefined, {
    message: 'token must carry sub or user_id',
    path: ['sub'],
  })
  .meta({
    id: 'JwtClaims',
    title: 'JWT claims',
    description: 'Claims the gateway reads from a NetSentinel JWT.',
    examples: [{ sub: 'u_42', username: 'alice', roles: ['analyst'], permissions: [], exp: 1764118800, jti: 'j1' }],
  });
export type JwtClaims = z.infer<typeof JwtClaims>;

/** Who a connection or request acts as, after authentication. */
export const Principal = z
  .strictObject({
    id: z.string().min(1).max(256),
    username: z.string().max(256).optional(),
    roles: z.array(Role),
    permissions: z.array(Permission),
  })
  .meta({
    id: 'Principal',
    title: 'Principal',
    description: 'The authenticated identity of a connection, with its effective permissions.',
    examples: [{ id: 'u_42', username: 'alice', roles: ['analyst'], permissions: ['read:events', 'read:alerts'] }],
  });
export type Principal = z.infer<typeof Principal>;

const isPermission = (p: string): p is Permission => (PERMISSIONS as readonly string[]).includes(p);
const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** Effective permissions: explicit ones plus those of every role; `admin` expands to all. */
export function effectivePermissions(roles: readonly string[], permissions: readonly string[]): Permission[] {
  const out = new Set<Permission>();
  for (const r of roles) if (isRole(r)) for (const p of ROLE_PERMISSIONS[r]) out.add(p);
  for (const p of permissions) if (isPermission(p)) out.add(p);
  if (out.has('admin')) return [...PERMISSIONS];
  return PERMISSIONS.filter((p) => out.has(p));
}

/** Builds the principal a verified token stands for. */
export function principalFromClaims(claims: JwtClaims): Principal {
  const roles = (claims.roles ?? []).filter(isRole);
  const principal: Principal = {
    id: String(claims.sub ?? claims.user_id),
    roles,
    permissions: effectivePermissions(claims.roles ?? [], claims.permissions ?? []),
  };
  if (claims.username !== undefined) principal.username = claims.username;
  return principal;
}

// With the read rule, zod-free; re-exported here where it was first defined.
export { hasPermission } from './access.js';

/** The principal used when auth is disabled (`NS_AUTH=none`): everything is permitted. */
export const UNRESTRICTED_PRINCIPAL: Principal = Object.freeze({
  id: 'auth-disabled',
  // Frozen all the way down: one shared object must not be widened or narrowed by any connection.
  roles: Object.freeze(['admin']),
  permissions: Object.freeze([...PERMISSIONS]),
}) as Principal;
