"""``GatewayBroadcaster`` (asyncio) and ``SyncGatewayBroadcaster``: the same publisher behind two
calling conventions."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, TypeVar

from .errors import CLOSED, GatewayError
from .events import PublishResult, build_event, encode_batch, encode_event, with_id
from .interface import IWebSocketBroadcaster
from .publisher import HttpPublisher

T = TypeVar("T")


class BroadcasterBase:
    """What both calling conventions share: the publisher, and turning calls into request bodies --
    ids fixed and JSON encoded (NaN rejected) in the caller's thread, before any attempt."""

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        *,
        timeout: float = 5.0,
        retries: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 10.0,
        max_retry_after: float = 60.0,
        validate: bool = False,
        publisher: Optional[HttpPublisher] = None,
    ) -> None:
        """``url``: the gateway's base URL (``http://127.0.0.1:8080``). ``api_key``: one of its
        ``NS_PUBLISH_KEYS`` (or a JWT with ``write:events``); ``None`` for a loopback gateway without
        keys. ``timeout``: seconds per attempt. ``retries``/``backoff``/``max_backoff``: see
        :class:`~netsentinel_gateway.retry.RetryPolicy`. ``validate``: check each event against the
        bundled schemas before sending (needs ``jsonschema``). ``publisher``: an existing
        :class:`HttpPublisher` to share (the connection options are then its own)."""
        self.publisher = publisher or HttpPublisher(
            url, api_key, timeout=timeout, retries=retries, backoff=backoff,
            max_backoff=max_backoff, max_retry_after=max_retry_after,
        )
        self._validate: Optional[Callable[[Mapping[str, Any]], None]] = None
        if validate:
            from .validation import prepare, validate as check

            prepare()  # fails now, not at the first event, when jsonschema is missing
            self._validate = check
        self._closed = False

    def _encoded(self, type: str, data: Mapping[str, Any], id: Optional[str]) -> Tuple[str, str]:
        """``(id, JSON text)`` of one event."""
        self._check_open()
        event = build_event(type, data, id)
        if self._validate is not None:
            self._validate(event)
        return event["id"], encode_event(event)

    def _one(self, type: str, data: Mapping[str, Any], id: Optional[str]) -> Tuple[bytes, int]:
        return self._encoded(type, data, id)[1].encode("utf-8"), 1

    def _many(self, events: Iterable[Mapping[str, Any]]) -> Tuple[bytes, int]:
        self._check_open()
        batch = [with_id(e) for e in events]
        if self._validate is not None:
            for e in batch:
                self._validate(e)
        if not batch:
            raise ValueError("publish_batch needs at least one event")
        return encode_batch([encode_event(e) for e in batch]), len(batch)

    def _check_open(self) -> None:
        if self._closed:
            raise GatewayError(None, CLOSED, "broadcaster is closed")

    def __repr__(self) -> str:
        return "%s(%r)" % (self.__class__.__name__, self.publisher.endpoint)


class SyncGatewayBroadcaster(BroadcasterBase):
    """Blocking publisher for non-async code. Thread-safe. Every method returns the gateway's
    ``{id, channel, seq}`` (a list for :meth:`publish_batch`) or raises :class:`GatewayError`."""

    def publish(self, type: str, data: Mapping[str, Any], id: Optional[str] = None) -> PublishResult:
        return self.publisher.send(*self._one(type, data, id))[0]

    def publish_batch(self, events: Iterable[Mapping[str, Any]]) -> List[PublishResult]:
        """Up to 1000 ``{type, data, id?}``, all or none."""
        return self.publisher.send(*self._many(events))

    def broadcast_threat(self, threat_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return self.publish("threat.new", threat_data, id)

    def broadcast_alert(self, alert_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return self.publish("alert.new", alert_data, id)

    def broadcast_status(self, status_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return self.publish("status.update", status_data, id)

    def broadcast_metrics(self, metrics_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return self.publish("metrics.update", metrics_data, id)

    def close(self) -> None:
        """Refuses further calls (``GatewayError(code='closed')``); calls in progress finish."""
        self._closed = True

    def __enter__(self) -> "SyncGatewayBroadcaster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GatewayBroadcaster(BroadcasterBase, IWebSocketBroadcaster):
    """The seed's ``IWebSocketBroadcaster`` over the gateway's HTTP API, for asyncio code.

    Requests (and their retries) run in a small thread pool, so the event loop never blocks on the
    network. Every method returns the gateway's ``{id, channel, seq}`` or raises
    :class:`GatewayError`; a ``ValueError`` (NaN, Infinity) is raised before anything is sent.
    """

    def __init__(self, url: str, api_key: Optional[str] = None, *, max_workers: int = 4, **options: Any) -> None:
        """``max_workers``: concurrent requests (threads). Other options: see :class:`BroadcasterBase`."""
        super().__init__(url, api_key, **options)
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ns-gateway")

    async def publish(self, type: str, data: Mapping[str, Any], id: Optional[str] = None) -> PublishResult:
        return (await self._in_thread(self.publisher.send, *self._one(type, data, id)))[0]

    async def publish_batch(self, events: Iterable[Mapping[str, Any]]) -> List[PublishResult]:
        """Up to 1000 ``{type, data, id?}``, all or none."""
        return await self._in_thread(self.publisher.send, *self._many(events))

    async def broadcast_threat(self, threat_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return await self.publish("threat.new", threat_data, id)

    async def broadcast_alert(self, alert_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return await self.publish("alert.new", alert_data, id)

    async def broadcast_status(self, status_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return await self.publish("status.update", status_data, id)

    async def broadcast_metrics(self, metrics_data: Mapping[str, Any], *, id: Optional[str] = None) -> PublishResult:
        return await self.publish("metrics.update", metrics_data, id)

    async def close(self) -> None:
        """Refuses further calls (``GatewayError(code='closed')``) and waits for the ones in progress,
        including their retries."""
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(self._executor.shutdown, wait=True))

    async def __aenter__(self) -> "GatewayBroadcaster":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
