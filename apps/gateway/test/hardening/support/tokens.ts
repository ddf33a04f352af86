import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';

/** The HS256 secret the hardening gateways verify with. */
export const SECRET = 'hardening-secret-0123456789abcdef0123456789';
/** An API key for publishing. */
export const PUBLISH_KEY = 'hardening-publish-key-0123456789';

const b64url = (v: object | string) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An HS256 token with `claims` (exp in seconds from now, default 300), signed with `secret`. */
export function sign(claims: Record<string, unknown>, options: { secret?: string; expiresInS?: number } = {}): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + (options.expiresInS ?? 300);
  return new SignJWT({ exp, ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** An unsigned token (`alg: none`) claiming `claims`. */
export function unsigned(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + 300, ...claims })}.`;
}

/** `token` with its payload replaced by `claims`, keeping the original header and signature. */
export function tampered(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url({ exp: Math.floor(Date.now() / 1000) + 300, ...claims })}.${signature}`;
}

/** An RS256 token signed with a fresh key the gateway has never seen, but claiming HS256-ish rights. */
export async function signedByStranger(claims: Record<string, unknown>): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 300, ...claims }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
}
