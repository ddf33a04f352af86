import { issuesFromZod, NsError, RevocationRequest, type RevocationList } from '@ns/contracts';
import type { FastifyInstance } from 'fastify';
import type { HttpAuth } from '../http-auth.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Revocations } from '../revocation/revocations.js';

/** Options of {@link registerRevocationRoutes}. */
export interface RevocationRoutesOptions {
  revocations: Revocations;
  auth: HttpAuth;
  lifecycle: Lifecycle;
  /** `NS_MAX_REVOCATIONS`, reported by the list. */
  max: number;
}

/** A revocation body is a few hundred bytes. */
const MAX_BODY_BYTES = 4 * 1024;

/**
 * `POST /v1/revocations` and `GET /v1/revocations` (docs/protocol.md#revocation), for `admin` tokens.
 */
export function registerRevocationRoutes(app: FastifyInstance, o: RevocationRoutesOptions): void {
  app.post('/v1/revocations', { bodyLimit: MAX_BODY_BYTES }, async (req, reply) => {
    const principal = await o.auth.principalWith(req, 'admin');
    if (o.lifecycle.draining) throw new NsError('unavailable', 'gateway is shutting down; retry on another instance');
    const body = RevocationRequest.safeParse(req.body);
    if (!body.success) {
      const issues = issuesFromZod(body.error, []);
      throw new NsError('invalid_message', `${issues[0]?.path || 'body'}: ${issues[0]?.message}; expected {jti, expires_at?} or {user, issued_before?}`, { issues });
    }
    const record = await o.revocations.revoke(body.data, principal);
    req.log.info({ revocation: 'jti' in record ? { jti: record.jti } : { user: record.user, issued_before: record.issued_before }, by: principal.id }, 'revocation recorded');
    return reply.code(201).send(record);
  });

  app.get('/v1/revocations', async (req): Promise<RevocationList> => {
    await o.auth.principalWith(req, 'admin');
    return { revocations: await o.revocations.list(), max: o.max };
  });
}
