import { CLOSE_CODE_TABLE, type CloseAction } from '@ns/contracts/wire';

export type { CloseAction };

/**
 * What a client does after the gateway closed its connection with a given code (docs/protocol.md#close-codes),
 * read from the contracts' close-code table (`@ns/contracts/wire`, plain data, no zod):
 * - `immediate`: reconnect at once (shutdown of one instance, or slow consumer that resumes with `since`);
 * - `backoff`: reconnect after the jittered backoff delay;
 * - `token`: the credentials were refused; reconnect only if `getToken()` yields a new token;
 * - `stop`: retrying cannot help; stay closed and report the error.
 */
const ACTIONS: ReadonlyMap<number, CloseAction> = new Map(Object.values(CLOSE_CODE_TABLE).map((c) => [c.code, c.clientAction]));

/** The action for a close code; unknown codes and abnormal closes (1006) back off. */
export function closeAction(code: number): CloseAction {
  return ACTIONS.get(code) ?? 'backoff';
}
