import { CHANNEL_NAMES, PROTOCOL_VERSION, type Principal, type WelcomeMessage } from '@ns/contracts';
import type { Connection, WsManager } from '@ns/ws-manager';
import type { Logger } from 'pino';
import type { Authenticator } from './authenticator.js';
import type { SessionAudit } from './session-audit.js';

/** Seconds before token expiry at which `auth_expiring` is sent. */
export const AUTH_EXPIRING_NOTICE_S = 30;
/** Endpoint-wide settings and counters a session uses. */
export interface SessionContext {
  manager: WsManager;
  authenticator: Authenticator | null;
  allowAnonymous: boolean;
  authTimeoutMs: number;
  heartbeatS: number;
  maxMessageBytes: number;
  /** Inbound messages (and `?subscribe=` channels) per connection per second; bursts of twice that. */
  clientMessageRate: number;
  /** Consecutive rate-limited messages after which the connection is closed with 4002. */
  maxRateLimitedStreak: number;
  /** Seconds before expiry at which `auth_expiring` is sent. */
  expiryNoticeS: number;
  counters: { authFailures: number; rateLimitedMessages: number };
  /** Inbound bytes one session may have waiting (`pendingBytesCap(maxMessageBytes)`). */
  maxPendingBytes: number;
  /** The endpoint's logger; every line of a session carries its `connection_id` and `ip`. */
  logger: Logger;
  /** Called once when the connection has closed (the endpoint releases its per-IP slot). */
  onClosed(connection: Connection): void;
  /** Where auth failures, subscribe denials and revocation closes are reported (the gateway's audit log). */
  audit?: SessionAudit | undefined;
}

/** The `welcome` a session sends first: the connection's id and the endpoint's limits. */
export function welcomeMessage(connectionId: string, ctx: SessionContext, principal: Principal | null): WelcomeMessage {
  return {
    type: 'welcome',
    connection_id: connectionId,
    protocol: PROTOCOL_VERSION,
    server_time: Date.now() / 1000,
    heartbeat_s: ctx.heartbeatS,
    max_message_bytes: ctx.maxMessageBytes,
    channels: [...CHANNEL_NAMES],
    principal,
  };
}
