import type { CloseCode } from '@ns/contracts';

/**
 * What a client does after the gateway closed its connection with a given code (docs/protocol.md#close-codes):
 * - `immediate`: reconnect at once (shutdown of one instance, or slow consumer that resumes with `since`);
 * - `backoff`: reconnect after the jittered backoff delay;
 * - `token`: the credentials were refused; reconnect only if `getToken()` yields a new token;
 * - `stop`: retrying cannot help; stay closed and report the error.
 */
export type CloseAction = 'immediate' | 'backoff' | 'token' | 'stop';

// Typed against the contracts' CloseCode so a renumbered code fails to compile here.
const ACTIONS: ReadonlyMap<number, CloseAction> = new Map<CloseCode, CloseAction>([
  [1000, 'backoff'], // the server ended the session normally; a dashboard still wants its stream back
  [1001, 'immediate'], // going away: this instance is shutting down; another one (or its restart) serves us
  [1008, 'stop'], // policy, e.g. a disallowed Origin: the same request will be refused again
  [1009, 'backoff'], // we sent a message over the limit
  [1011, 'backoff'],
  [4000, 'backoff'], // protocol abuse
  [4001, 'token'], // unauthorized, token expired, or auth timeout
  [4002, 'backoff'], // rate limited: never retry hot
  [4003, 'token'], // forbidden: only a token with more permissions changes the answer
  [4008, 'immediate'], // slow consumer: resume with `since`, history fills the gap
]);

/** The action for a close code; unknown codes and abnormal closes (1006) back off. */
export function closeAction(code: number): CloseAction {
  return ACTIONS.get(code) ?? 'backoff';
}
