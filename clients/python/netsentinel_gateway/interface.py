"""The seed's broadcaster contract, as the processor codes against it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Optional

from .events import PublishResult


class IWebSocketBroadcaster(ABC):
    """The interface agreed on day 1 (``broadcast_threat``, ``broadcast_alert``), plus status,
    metrics and a generic ``publish`` -- the Python twin of ``IWebSocketBroadcaster`` in
    ``@ns/contracts``. Each call returns once the gateway accepted the event, with its id, channel
    and seq."""

    @abstractmethod
    async def broadcast_threat(self, threat_data: Dict[str, Any], *, id: Optional[str] = None) -> PublishResult:
        """Broadcast a ``threat.new`` to the ``threats`` channel."""

    @abstractmethod
    async def broadcast_alert(self, alert_data: Dict[str, Any], *, id: Optional[str] = None) -> PublishResult:
        """Broadcast an ``alert.new`` to the ``alerts`` channel."""

    @abstractmethod
    async def broadcast_status(self, status_data: Dict[str, Any], *, id: Optional[str] = None) -> PublishResult:
        """Broadcast a ``status.update`` to the ``status`` channel."""

    @abstractmethod
    async def broadcast_metrics(self, metrics_data: Dict[str, Any], *, id: Optional[str] = None) -> PublishResult:
        """Broadcast a ``metrics.update`` to the ``metrics`` channel."""

    @abstractmethod
    async def publish(self, type: str, data: Dict[str, Any], id: Optional[str] = None) -> PublishResult:
        """Publish one event of any type (``threat.new``, ``event.raw``, ``system.notice``, ...)."""
