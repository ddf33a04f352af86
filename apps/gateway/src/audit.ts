import type { Principal } from '@ns/contracts';
import type { SessionAuditEntry } from '@ns/ws-server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** What an audit line is about. */
export type AuditEvent = 'auth_failed' | 'permission_denied' | 'admin_action' | 'revocation' | 'revoked';

/** One audit line: who (`sub`, `jti`), what, from where (`ip`), outcome — never a token or secret. */
export interface AuditEntry {
  event: AuditEvent;
  outcome: 'ok' | 'refused';
  transport: 'http' | 'ws';
  /** `POST /v1/revocations`, `connect`, `auth`, `refresh`, `subscribe` … */
  action: string;
  /** The verified principal; for a token that failed verification, what it claims (`claimed: true`). */
  sub: string | null;
  jti: string | null;
  claimed?: boolean;
  ip: string | null;
  reason?: string;
  connection_id?: string;
  channel?: string;
  /** What an admin action or revocation was about (e.g. `{jti}` or `{user, issued_before}`). */
  target?: Record<string, unknown>;
  /** The HTTP status an admin action was answered with. */
  status?: number;
}

/**
 * The audit log (README#audit-log): a pino child named `audit`, one JSON line per authentication
 * failure, permission denial, admin action and revocation, written at `info` whatever
 * `NS_LOG_LEVEL` says (unless it is `silent`), so that lowering the log level never hides them.
 */
/** What {@link AuditLog.auditAdminRoutes} needs of `HttpAuth`: who a request was let through as admin. */
export interface AdminLookup {
  adminOf(req: FastifyRequest): { principal: Principal; tokenId?: string | undefined } | undefined;
}

export class AuditLog {
  readonly #log: Logger;

  constructor(logger: Logger) {
    this.#log = logger.level === 'silent' ? logger : logger.child({ name: 'audit' }, { level: 'info' });
  }

  record(entry: AuditEntry): void {
    this.#log.info({ audit: entry }, `audit ${entry.event} ${entry.outcome}: ${entry.action}`);
  }

  /**
   * Writes one `admin_action` line for every HTTP request answered after `auth` let it through as
   * `admin` (presence, connections, disconnects, revocation listing) — except `POST /v1/revocations`,
   * which writes its own `revocation` line. The target is the path parameters and a body's `user`.
   */
  // `auth` is HttpAuth, seen structurally: http-auth.ts imports this file, so importing it back would
  // tie the two into an import cycle (test-support/import-cycles.test.ts).
  auditAdminRoutes(app: FastifyInstance, auth: AdminLookup): void {
    app.addHook('onResponse', async (req, reply) => {
      const admin = auth.adminOf(req);
      const route = req.routeOptions.url ?? '';
      if (admin === undefined || (req.method === 'POST' && route === '/v1/revocations')) return;
      const params = (req.params ?? {}) as Record<string, unknown>;
      const body = req.body as Record<string, unknown> | null | undefined;
      const target = { ...params, ...(typeof body === 'object' && body !== null && typeof body.user === 'string' && { user: body.user.slice(0, 256) }) };
      this.record({
        event: 'admin_action',
        outcome: reply.statusCode < 400 ? 'ok' : 'refused',
        transport: 'http',
        action: `${req.method} ${route}`,
        sub: admin.principal.id,
        jti: admin.tokenId ?? null,
        ip: req.ip,
        ...(Object.keys(target).length > 0 && { target }),
        status: reply.statusCode,
      });
    });
  }

  /** An entry reported by a /ws session. */
  session(e: SessionAuditEntry): void {
    this.record({
      event: e.event,
      outcome: e.event === 'revoked' ? 'ok' : 'refused',
      transport: 'ws',
      action: e.action,
      sub: e.sub,
      jti: e.jti,
      ...(e.claimed && { claimed: true }),
      ip: e.ip,
      reason: e.reason,
      connection_id: e.connection_id,
      ...(e.channel !== undefined && { channel: e.channel }),
    });
  }
}
