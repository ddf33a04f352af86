/**
 * The one channel-read rule, for every transport (WebSocket subscribe, HTTP history): zod-free, over
 * plain data, so the wire entry and thin clients could use it too.
 */
import { CHANNEL_RULES, type ChannelName, type PERMISSIONS } from './wire.js';

type PermissionName = (typeof PERMISSIONS)[number];

/** What the access rule reads of a `Principal` (structural, so this file needs no schema). */
export interface PermissionHolder {
  readonly permissions: readonly PermissionName[];
}

/** Why a read is refused: `unauthorized` (no credentials) or `forbidden` (credentials lacking the permission). */
export interface ReadDenial {
  readonly code: 'unauthorized' | 'forbidden';
  readonly message: string;
}

/** True when the principal holds `permission` (directly or through `admin`). */
export function hasPermission<P extends PermissionHolder>(principal: P | null, permission: PermissionName): boolean {
  if (principal === null) return false;
  return principal.permissions.includes(permission) || principal.permissions.includes('admin');
}

/**
 * Why `principal` (null: no credentials) may not read `channel`, or null when it may. Public channels
 * (no read permission) are open to anyone the transport admitted; whether anonymous clients are
 * admitted at all is the transport's decision, made before this rule.
 */
export function readDenial(principal: PermissionHolder | null, channel: ChannelName): ReadDenial | null {
  const permission = CHANNEL_RULES[channel].readPermission;
  if (permission === null || hasPermission(principal, permission)) return null;
  if (principal === null) return { code: 'unauthorized', message: `channel ${channel} requires a token with ${permission}` };
  return { code: 'forbidden', message: `channel ${channel} requires ${permission}` };
}
