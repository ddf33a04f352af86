import { NsError, RevocationRequest, type RevocationList } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit.js';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Revocations } from '../revocation/revocations.js';
import { parseOrThrow } from './invalid.js';

/** Options of {@link registerRevocationRoutes}. */
export interface RevocationRoutesOptions {
  revocations: Revocations;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  /** `NS_MAX_REVOCATIONS`, reported by the list. */
  max: number;
  audit?: AuditLog;
}

/** A revocation body is a few hundred bytes. */
const MAX_BODY_BYTES = 4 * 1024;

/**
 * `POST /v1/revocations` and `GET /v1/revocations` (docs/protocol.md#revocation), for `admin` tokens.
 */
export function registerRevocationRoutes(app: FastifyInstance, o: RevocationRoutesOptions): void {
  app.post('/v1/revocations', { bodyLimit: MAX_BODY_BYTES }, async (req, reply) => {
    const admin = await o.auth.authenticateWith(req, 'admin');
    const audit = (outcome: 'ok' | 'refused', target: Record<string, unknown> | undefined, reason?: string) =>
      o.audit?.record({ event: 'revocation', outcome, transport: 'http', action: 'POST /v1/revocations', sub: admin.principal.id, jti: admin.tokenId ?? null, ip: req.ip, ...(target && { target }), ...(reason !== undefined && { reason }) });
    try {
      if (o.lifecycle.draining) throw new NsError('unavailable', 'gateway is shutting down; retry on another instance');
      const body = parseOrThrow(RevocationRequest, req.body, { hint: 'expected {jti, expires_at?} or {user, issued_before?}' });
      const record = await o.revocations.revoke(body, admin.principal);
      audit('ok', 'jti' in record ? { jti: record.jti, expires_at: record.expires_at } : { user: record.user, issued_before: record.issued_before, expires_at: record.expires_at });
      return reply.code(201).send(record);
    } catch (err) {
      audit('refused', undefined, err instanceof Error ? err.message : String(err));
      throw err;
    }
  });

  app.get('/v1/revocations', async (req): Promise<RevocationList> => {
    await o.auth.authenticateWith(req, 'admin');
    return { revocations: await o.revocations.list(), max: o.max };
  });
}
