"""A Python ``websockets`` subscriber for the integration tests: ``examples/tail.py``'s
``ChannelTail`` run as a background task, collecting events."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Callable, Dict, List, Optional

from . import CLIENT_DIR

sys.path.insert(0, str(CLIENT_DIR / "examples"))
from tail import ChannelTail  # noqa: E402

WAIT_S = 15.0  # a bound against hangs, not a performance assertion


class Subscriber:
    def __init__(self, url: str, channels: List[str], **options: Any) -> None:
        self.notices: List[str] = []
        self.events: List[Dict[str, Any]] = []
        self._changed = asyncio.Event()
        self.tail = ChannelTail(url, channels, on_notice=self._notice, on_subscribed=lambda _m: self._notify(),
                                max_backoff=0.2, **options)
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> "Subscriber":
        """Connects and waits until every channel is subscribed."""
        self._task = asyncio.ensure_future(self._run())
        await self.wait_until(lambda: len(self.tail.subscriptions) >= len(self.tail.channels), what="subscribed")
        return self

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _notice(self, text: str) -> None:
        self.notices.append(text)
        self._notify()

    async def _run(self) -> None:
        try:
            async for event in self.tail.events():
                self.events.append(event)
                self._notify()
        finally:
            self._notify()  # wake waiters so they see the task ended

    async def wait_until(self, predicate: Callable[[], bool], what: str = "condition") -> None:
        async def wait() -> None:
            while True:
                changed = self._changed
                if predicate():
                    return
                if self._task is not None and self._task.done():
                    self._task.result()  # raises the subscriber's error
                    raise AssertionError("subscriber stopped before " + what)
                await changed.wait()

        try:
            await asyncio.wait_for(wait(), WAIT_S)
        except asyncio.TimeoutError:
            raise AssertionError("timed out waiting for %s; got %d events: %r; notices: %r" % (what, len(self.events), self.events[-3:], self.notices)) from None

    async def wait_for_events(self, count: int) -> List[Dict[str, Any]]:
        await self.wait_until(lambda: len(self.events) >= count, what="%d events" % count)
        return self.events

    async def close(self) -> None:
        await self.tail.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
