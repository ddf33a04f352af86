/**
 * Polls `probe` until it holds, every `everyMs`; fails after `timeoutMs` naming `what`. Only for state
 * outside the test process that announces nothing (a gateway's readiness after Redis went away, a
 * count in /proc); never for timing assertions.
 */
export async function eventually(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
