import { z } from 'zod';
import { ShortText, Timestamp } from './primitives.js';

// Revoking credentials before they expire (docs/protocol.md#revocation): one token by its `jti`, or
// every token of a user issued before a time. Revoked tokens are refused everywhere a token is checked
// and live connections holding them are closed with 4001 on every gateway instance.

/** Revoke one token: its `jti` claim, and its `exp` so the record can expire with the token. */
export const RevokeTokenRequest = z
  .strictObject({
    jti: ShortText,
    /** The token's `exp`; the record is kept until then. Unset: kept for the gateway's longest accepted token lifetime. */
    expires_at: Timestamp.optional(),
  })
  .meta({
    id: 'RevokeTokenRequest',
    title: 'Revoke one token',
    description: 'One token by its `jti` claim; `expires_at` (its `exp`) bounds how long the record is kept.',
    examples: [{ jti: '0b5f3c1e-6d2a-4f7e-9c41-2a7d8e5b6f90', expires_at: 1764118800 }] });
export type RevokeTokenRequest = z.infer<typeof RevokeTokenRequest>;

/** Revoke every token of a user (`sub`, or `user_id`) issued before `issued_before` (`iat`; default: now). */
export const RevokeUserRequest = z
  .strictObject({
    user: ShortText,
    /** Tokens with an `iat` before this are refused; tokens issued later are not. Default: the time of the request. */
    issued_before: Timestamp.optional(),
  })
  .meta({
    id: 'RevokeUserRequest',
    title: 'Revoke a user\'s tokens',
    description: 'Every token of the user (`sub`, else `user_id`) with an `iat` before `issued_before` (default: now), and the user\'s tokens without `iat`.',
    examples: [{ user: 'alice' }, { user: 'u_42', issued_before: 1764115200 }] });
export type RevokeUserRequest = z.infer<typeof RevokeUserRequest>;

/** Body of `POST /v1/revocations`. */
export const RevocationRequest = z.union([RevokeTokenRequest, RevokeUserRequest]).meta({
  id: 'RevocationRequest',
  title: 'Revocation',
  description: 'Either `{jti, expires_at?}` (one token) or `{user, issued_before?}` (every token of the user issued before the time).',
  examples: [{ jti: '0b5f3c1e-6d2a-4f7e-9c41-2a7d8e5b6f90', expires_at: 1764118800 }, { user: 'alice' }],
});
export type RevocationRequest = z.infer<typeof RevocationRequest>;

const recorded = {
  /** When the revocation record expires: after it the tokens it covers are refused as expired anyway. */
  expires_at: Timestamp,
  /** When it was made (gateway clock). */
  revoked_at: Timestamp,
  /** The principal id of the administrator who made it. */
  by: ShortText,
};

/** One active revocation, as `POST /v1/revocations` answers it and `GET /v1/revocations` lists it. */
export const Revocation = z
  .union([
    z.strictObject({ jti: ShortText, ...recorded }),
    z.strictObject({ user: ShortText, issued_before: Timestamp, ...recorded }),
  ])
  .meta({
    id: 'Revocation',
    title: 'Active revocation',
    description: 'A revocation as recorded: its target, when the record expires, when and by whom it was made.',
    examples: [
      { jti: '0b5f3c1e-6d2a-4f7e-9c41-2a7d8e5b6f90', expires_at: 1764118800, revoked_at: 1764115300.2, by: 'admin' },
      { user: 'alice', issued_before: 1764115300.2, expires_at: 1795651300.2, revoked_at: 1764115300.2, by: 'admin' },
    ],
  });
export type Revocation = z.infer<typeof Revocation>;

/** `GET /v1/revocations`: the active revocations (soonest expiry first) and the limit on their number. */
export const RevocationList = z
  .strictObject({
    revocations: z.array(Revocation),
    /** `NS_MAX_REVOCATIONS`: a new revocation past it is refused until older ones expire. */
    max: z.int().positive(),
  })
  .meta({
    id: 'RevocationList',
    title: 'Active revocations',
    description: 'Every active revocation, soonest expiry first, and `NS_MAX_REVOCATIONS`.',
    examples: [{ revocations: [{ jti: 'j1', expires_at: 1764118800, revoked_at: 1764115300.2, by: 'admin' }], max: 10000 }],
  });
export type RevocationList = z.infer<typeof RevocationList>;
