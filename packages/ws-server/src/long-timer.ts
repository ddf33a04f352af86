/** The longest delay `setTimeout` honours; a longer one overflows and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setTimerAt}. */
export interface LongTimer {
  clear(): void;
}

/**
 * Runs `fn` once the wall clock reaches `atMs` (Unix ms), however far ahead: waits in steps of at
 * most {@link MAX_TIMER_MS} (24.8 days) and re-reads the clock after each, so a token expiring in
 * 30 days is neither noticed early nor at a drifted time. `atMs` in the past runs `fn` on the next
 * turn of the event loop, never synchronously.
 */
export function setTimerAt(atMs: number, fn: () => void): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(
      () => {
        if (Date.now() < atMs) arm();
        else fn();
      },
      Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_MS),
    );
  };
  arm();
  return {
    clear() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
