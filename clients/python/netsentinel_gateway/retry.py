"""When to try a publish again, and how long to wait first."""

from __future__ import annotations

import email.utils
import random
import time
from typing import Callable, Optional


class RetryPolicy:
    """Exponential backoff with jitter: attempt ``n`` (0-based) waits about ``backoff * 2**n`` seconds,
    at most ``max_backoff``, scaled by a random factor in [0.5, 1) so that many publishers recovering
    from the same outage do not retry in lockstep. A ``Retry-After`` from the gateway is a floor.

    ``retries`` is the number of attempts after the first one (0 = never retry). A ``Retry-After``
    longer than ``max_retry_after`` is not waited for: the error is raised at once.
    """

    def __init__(
        self,
        retries: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        max_retry_after: float = 60.0,
        random: Callable[[], float] = random.random,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if backoff < 0 or max_backoff < 0:
            raise ValueError("backoff and max_backoff must be >= 0")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._random = random

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        base = min(self.max_backoff, self.backoff * (2 ** attempt))
        jittered = base * (0.5 + self._random() / 2)
        if retry_after is not None:
            # The gateway knows when it will accept again; waiting less would only earn another 429.
            return max(retry_after, jittered)
        return jittered


def parse_retry_after(value: Optional[str], now: Callable[[], float] = time.time) -> Optional[float]:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` when absent or
    unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
