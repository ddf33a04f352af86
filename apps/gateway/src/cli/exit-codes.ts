/** Exit codes of `ns-gateway` (documented in `--help`). */
export const EXIT = {
  OK: 0,
  /** The gateway refused the input (validation), or the operation failed at run time. */
  FAILED: 1,
  /** Bad usage, bad input file, or invalid configuration (one line names the variable). */
  USAGE: 2,
  /** Credentials missing or refused (HTTP 401/403, WebSocket 4001/4003, origin 1008). */
  AUTH: 3,
  /** The gateway is unreachable or unavailable (connection refused, 503, 5xx). */
  UNAVAILABLE: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT] | 130 | 143;

/** A failure that ends a command with an exit code and one line of explanation. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}
