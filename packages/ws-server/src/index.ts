export { attach, type WsEndpoint, type WsEndpointStats, type WsServerOptions } from './ws-endpoint.js';
export { upgradeCredential, type Authentication, type Authenticator } from './authenticator.js';
export { jwtAuthenticator, DEFAULT_CLOCK_TOLERANCE_S, type JwtAuthenticatorOptions } from './jwt-authenticator.js';
export { algorithmsForJwk, algorithmsForJwks, algorithmsForPublicKey, SUPPORTED_KEY_TYPES } from './jwt-algorithms.js';
export { ClientSession, AUTH_EXPIRING_NOTICE_S, type SessionContext } from './client-session.js';
export { clientIp, compileTrust, normalizeIp, type TrustProxy } from './client-ip.js';
export { compileOriginPolicy, isUnrebindableHost, type AllowedOrigins } from './origin-policy.js';
export {
  BurstLimiter,
  IpConnectionCounter,
  TokenBucket,
  DEFAULT_CLIENT_MESSAGE_RATE,
  DEFAULT_IP_CONNECT_RATE,
  DEFAULT_IP_MAX_CONNECTIONS,
} from './rate-limits.js';
export { redactUrl } from './redact.js';
export { clip, summarizeFilter, MAX_LOGGED_CHARS, type FilterSummary } from './log-fields.js';
export { setTimerAt, MAX_TIMER_MS, type LongTimer } from './long-timer.js';
