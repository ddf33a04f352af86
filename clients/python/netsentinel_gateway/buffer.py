"""``BufferedBroadcaster``: a local buffer that turns bursts of events into ``{events: [...]}``
requests, bounded in events, bytes, time and memory."""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable, Deque, List, Mapping, Optional, Sequence

from .broadcaster import BroadcasterBase
from .errors import CLOSED, BufferFullError, GatewayError
from .events import MAX_BATCH_EVENTS, MAX_BODY_BYTES, encode_batch

log = logging.getLogger("netsentinel_gateway")

# '{"events":[' + ']}'
_BATCH_OVERHEAD_BYTES = 13


class PendingPublish(Future):  # type: ignore[type-arg]
    """The outcome of one buffered event: resolves to ``{id, channel, seq}`` or fails with
    :class:`GatewayError`. Its :attr:`id` is known at once. In asyncio code:
    ``await asyncio.wrap_future(pending)``."""

    def __init__(self, event_id: str, type: str) -> None:
        super().__init__()
        self.id = event_id
        self.type = type


class _Item:
    __slots__ = ("encoded", "size", "future", "enqueued_at")

    def __init__(self, encoded: str, future: PendingPublish) -> None:
        self.encoded = encoded
        self.size = len(encoded.encode("utf-8")) + 1  # + the comma between events
        self.future = future
        self.enqueued_at = time.monotonic()


class BufferedBroadcaster(BroadcasterBase):
    """Publishes in the background, batching bursts: a batch leaves when it holds ``max_batch``
    events (at most 1000) or ``max_batch_bytes``, or ``flush_interval`` seconds after its first event
    was added -- whichever comes first. One sender thread sends batches in order.

    Methods never wait for the network: they return a :class:`PendingPublish` future. Nothing is
    dropped silently -- every event ends in exactly one of:

    - acknowledged: its future resolves to ``{id, channel, seq}``;
    - rejected by the gateway (4xx): its future fails with :class:`GatewayError` carrying the issues,
      the error is logged and passed to ``on_error``; the rest of its batch is sent again (same ids);
    - refused at the call: :class:`BufferFullError` when ``max_buffered`` events are unacknowledged
      (``when_full="raise"``, the default), or after waiting ``block_timeout`` seconds for room
      (``when_full="block"``; do not block an asyncio loop this way);
    - not delivered by :meth:`close`: while the gateway is unreachable, batches are kept and retried
      (so the buffer fills and applies back-pressure); if ``close(timeout)`` expires first, the
      remaining futures fail with ``code='closed'`` and ``close`` raises.

    Ids are fixed when an event is added, so resending a batch never delivers an event twice.
    """

    def __init__(
        self,
        url: str,
        api_key: Optional[str] = None,
        *,
        max_batch: int = MAX_BATCH_EVENTS,
        max_batch_bytes: int = MAX_BODY_BYTES,
        flush_interval: float = 0.05,
        max_buffered: int = 10_000,
        when_full: str = "raise",
        block_timeout: Optional[float] = None,
        on_error: Optional[Callable[[GatewayError, List[str]], None]] = None,
        **options: Any,
    ) -> None:
        """Other options (``timeout``, ``retries``, ``backoff``, ``validate``...): see
        :class:`~netsentinel_gateway.broadcaster.BroadcasterBase`."""
        if not 1 <= max_batch <= MAX_BATCH_EVENTS:
            raise ValueError("max_batch must be between 1 and %d" % MAX_BATCH_EVENTS)
        if max_batch_bytes <= _BATCH_OVERHEAD_BYTES:
            raise ValueError("max_batch_bytes is too small")
        if max_buffered < 1:
            raise ValueError("max_buffered must be >= 1")
        if flush_interval < 0:
            raise ValueError("flush_interval must be >= 0")
        if when_full not in ("raise", "block"):
            raise ValueError('when_full must be "raise" or "block"')
        super().__init__(url, api_key, **options)
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes
        self.flush_interval = flush_interval
        self.max_buffered = max_buffered
        self.when_full = when_full
        self.block_timeout = block_timeout
        self.on_error = on_error
        self._cond = threading.Condition()
        self._queue: Deque[_Item] = collections.deque()
        self._queued_bytes = 0
        self._unacked = 0  # queued + in flight: what max_buffered bounds
        self._added = 0
        self._settled = 0
        self._flush_waiters = 0
        self._closing = False
        self._lost_on_close = 0
        self._abort = threading.Event()
        self._sender = threading.Thread(target=self._run, name="ns-gateway-buffer", daemon=True)
        self._sender.start()

    # -- adding events ---------------------------------------------------------------------------

    def publish(self, type: str, data: Mapping[str, Any], id: Optional[str] = None) -> PendingPublish:
        """Adds one event; raises ``ValueError`` (NaN...) or :class:`BufferFullError` at once."""
        event_id, encoded = self._encoded(type, data, id)
        item = _Item(encoded, PendingPublish(event_id, type))
        if item.size + _BATCH_OVERHEAD_BYTES > self.max_batch_bytes:
            raise GatewayError(None, "message_too_large", "event %s is %d bytes; a batch may hold %d" % (event_id, item.size, self.max_batch_bytes))
        with self._cond:
            self._wait_for_room()
            self._queue.append(item)
            self._queued_bytes += item.size
            self._unacked += 1
            self._added += 1
            self._cond.notify_all()
        return item.future

    def broadcast_threat(self, threat_data: Mapping[str, Any], *, id: Optional[str] = None) -> PendingPublish:
        return self.publish("threat.new", threat_data, id)

    def broadcast_alert(self, alert_data: Mapping[str, Any], *, id: Optional[str] = None) -> PendingPublish:
        return self.publish("alert.new", alert_data, id)

    def broadcast_status(self, status_data: Mapping[str, Any], *, id: Optional[str] = None) -> PendingPublish:
        return self.publish("status.update", status_data, id)

    def broadcast_metrics(self, metrics_data: Mapping[str, Any], *, id: Optional[str] = None) -> PendingPublish:
        return self.publish("metrics.update", metrics_data, id)

    @property
    def pending(self) -> int:
        """Events added but not yet acknowledged or failed."""
        with self._cond:
            return self._unacked

    def _wait_for_room(self) -> None:
        if self._closing:
            raise GatewayError(None, CLOSED, "buffered broadcaster is closed")
        if self._unacked < self.max_buffered:
            return
        if self.when_full == "raise":
            raise BufferFullError("%d events are waiting for the gateway (max_buffered); this one was not added" % self._unacked)
        if not self._cond.wait_for(lambda: self._closing or self._unacked < self.max_buffered, self.block_timeout):
            raise BufferFullError("no room in the buffer after %ss (max_buffered=%d); this event was not added" % (self.block_timeout, self.max_buffered))
        if self._closing:
            raise GatewayError(None, CLOSED, "buffered broadcaster is closed")

    # -- flushing and closing --------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends what is buffered now, without waiting for ``flush_interval``, and waits until every
        event added before this call is acknowledged or failed. Returns ``False`` on timeout."""
        with self._cond:
            target = self._added
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._settled >= target, timeout)
            finally:
                self._flush_waiters -= 1

    def close(self, timeout: Optional[float] = 30.0) -> None:
        """Refuses new events, sends everything buffered and stops the sender thread. If the gateway
        cannot take it all within ``timeout`` seconds, stops retrying, fails the remaining futures
        (``code='closed'``) and raises :class:`GatewayError` saying how many events were not
        delivered."""
        with self._cond:
            self._closing = True
            self._closed = True
            self._cond.notify_all()
        self._sender.join(timeout)
        if self._sender.is_alive():
            self._abort.set()
            self.publisher.close()
            self._sender.join()
        if self._lost_on_close:
            raise GatewayError(None, CLOSED, "closed after %ss with %d events not delivered (their futures failed)" % (timeout, self._lost_on_close))

    def __enter__(self) -> "BufferedBroadcaster":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            self.close()
        except GatewayError:
            if exc_type is None:
                raise
            log.exception("closing the buffered broadcaster while handling another exception")

    # -- the sender thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                deadline = self._queue[0].enqueued_at + self.flush_interval
                while not self._ready():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                batch = self._take()
            try:
                self._deliver(batch)
            except BaseException as err:  # never leave a future pending if the thread dies
                self._fail(batch, GatewayError(None, "internal", "buffer sender failed: %r" % err))
                log.exception("buffer sender failed")
            with self._cond:
                self._unacked -= len(batch)
                self._settled += len(batch)
                self._cond.notify_all()

    def _ready(self) -> bool:
        return (
            len(self._queue) >= self.max_batch
            or self._queued_bytes + _BATCH_OVERHEAD_BYTES >= self.max_batch_bytes
            or self._closing
            or self._flush_waiters > 0
        )

    def _take(self) -> List[_Item]:
        batch: List[_Item] = []
        size = _BATCH_OVERHEAD_BYTES
        while self._queue and len(batch) < self.max_batch:
            item = self._queue[0]
            if batch and size + item.size > self.max_batch_bytes:
                break
            self._queue.popleft()
            self._queued_bytes -= item.size
            size += item.size
            batch.append(item)
        return batch

    def _deliver(self, batch: Sequence[_Item]) -> None:
        pending = list(batch)
        while pending:
            if self._abort.is_set():
                self._fail(pending, GatewayError(None, CLOSED, "closed before the gateway acknowledged these events"), lost=True)
                return
            try:
                results = self.publisher.send(encode_batch([i.encoded for i in pending]), len(pending))
            except GatewayError as err:
                pending = self._after_failure(pending, err)
                continue
            for item, result in zip(pending, results):
                item.future.set_result(result)
            return

    def _after_failure(self, pending: List[_Item], err: GatewayError) -> List[_Item]:
        """What of ``pending`` to send again after ``err``; fails the futures of the rest."""
        if err.code == CLOSED:
            self._fail(pending, err, lost=True)
            return []
        if err.retryable:
            # Retries ran out but the events are still good: keep them (the buffer fills up behind
            # them and applies back-pressure) until the gateway is back or close() gives up.
            wait = self.publisher.retry.max_backoff
            log.warning("gateway unavailable after %d attempts (%s); holding %d events, trying again in %.1fs", err.attempts, err, len(pending), wait)
            self._abort.wait(wait)
            return pending
        if err.status == 413 and len(pending) > 1:
            half = len(pending) // 2
            self._deliver(pending[:half])
            return pending[half:]
        by_index = _issues_by_index(err, len(pending))
        if err.status == 400 and by_index:
            for index, issues in sorted(by_index.items()):
                self._fail([pending[index]], _event_error(err, index, issues))
            return [item for i, item in enumerate(pending) if i not in by_index]
        self._fail(pending, err)
        return []

    def _fail(self, items: Sequence[_Item], err: GatewayError, lost: bool = False) -> None:
        ids = [i.future.id for i in items]
        for item in items:
            if not item.future.done():
                item.future.set_exception(err)
        if lost:
            self._lost_on_close += len(items)
        log.error("%d events not published (%s): %s", len(ids), ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else ""), err)
        if self.on_error is not None:
            try:
                self.on_error(err, ids)
            except Exception:  # a failing callback must not stop the sender
                log.exception("on_error callback failed")


def _issues_by_index(err: GatewayError, count: int) -> dict:
    out: dict = {}
    for issue in err.issues:
        index = issue.get("index")
        if not isinstance(index, int) or not 0 <= index < count:
            return {}  # an issue about the request as a whole: no event can be singled out
        out.setdefault(index, []).append(issue)
    return out


def _event_error(err: GatewayError, index: int, issues: List[dict]) -> GatewayError:
    # The batch position means nothing to the caller of publish(): name fields as for one event.
    prefix = "events[%d]." % index
    own = [dict(i, path=str(i.get("path", ""))[len(prefix):] if str(i.get("path", "")).startswith(prefix) else i.get("path", "")) for i in issues]
    for i in own:
        i.pop("index", None)
    first = own[0]
    return GatewayError(err.status, err.code, "%s: %s" % (first.get("path"), first.get("message")), issues=own, details=err.details)
