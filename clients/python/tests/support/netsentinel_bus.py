"""A stand-in for NetSentinel's event bus with its interface (src/netsentinel/core/event_bus.py at
8b6554f): ``subscribe(event_type, handler, priority=0, handler_id=None) -> handler_id``,
``unsubscribe(event_type, handler_id) -> bool``, ``async publish(event)``, events with ``event_type``
and ``data``. ``publish`` runs the handlers inline (like its ``publish_sync``) and records how long
each hand-off took, which is what the processor's bus worker waits for."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Tuple


@dataclass
class BusEvent:
    event_type: str
    data: Dict[str, Any]
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timestamp: float = field(default_factory=time.time)
    source: str = "unknown"


class StandInEventBus:
    def __init__(self) -> None:
        self.subscribers: Dict[str, List[Tuple[str, Callable[..., Any]]]] = {}
        self.handoff_seconds: List[float] = []

    def subscribe(self, event_type: str, handler: Callable[..., Any], priority: int = 0, handler_id: str = None) -> str:
        handler_id = handler_id or "%s_%s" % (event_type, uuid.uuid4().hex[:8])
        self.subscribers.setdefault(event_type, []).append((handler_id, handler))
        return handler_id

    def unsubscribe(self, event_type: str, handler_id: str) -> bool:
        handlers = self.subscribers.get(event_type, [])
        for i, (hid, _) in enumerate(handlers):
            if hid == handler_id:
                del handlers[i]
                return True
        return False

    async def publish(self, event: BusEvent) -> None:
        for _, handler in list(self.subscribers.get(event.event_type, [])):
            started = time.perf_counter()
            result = handler(event)
            if asyncio.iscoroutine(result):
                await result
            self.handoff_seconds.append(time.perf_counter() - started)

    async def emit(self, event_type: str, data: Dict[str, Any]) -> None:
        await self.publish(BusEvent(event_type, data))
