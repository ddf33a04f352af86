export { attach, type WsEndpoint, type WsEndpointStats, type WsServerOptions } from './ws-endpoint.js';
export type { Authentication, Authenticator } from './authenticator.js';
export { jwtAuthenticator, DEFAULT_CLOCK_TOLERANCE_S, type JwtAuthenticatorOptions } from './jwt-authenticator.js';
export { algorithmsForJwks, algorithmsForPublicKey } from './jwt-algorithms.js';
export type { TrustProxy } from './client-ip.js';
export { isUnrebindableHost, type AllowedOrigins } from './origin-policy.js';
export { BurstLimiter, IpConnectionCounter } from './rate-limits.js';
export { redactUrl } from './redact.js';
export { clip } from './log-fields.js';
