"""``GatewayWebSocketManager``: a drop-in for NetSentinel's ``processors.websocket_manager.WebSocketManager``
that publishes to the gateway instead of serving WebSockets itself.

The processor's change is where it builds its manager (``RefactoredEventProcessor._initialize``)::

    self.websocket_manager = GatewayWebSocketManager(processor=self)

``await start()`` subscribes to the processor's event bus for the event types its own manager
follows (``threat.new``, ``alert.new``, ``status.update``, ``ml.training.status``,
``ml.model.metrics``); ``await stop()`` flushes within a deadline. Both return ``True``.

It never blocks the processor. A bus handler maps the payload, fixes its id, encodes it and puts it
in a bounded in-memory queue -- that is all the event loop waits for. Two background threads do the
rest: one writes the lossless channels' events (threats, alerts) to a local ``sqlite3`` spool, the
other sends the spool's oldest events and the ephemeral ones (status, metrics) in batches to
``POST /v1/publish``. An event leaves the spool only once the gateway has accepted it, and it is
always sent with the id it got at hand-off, so an outage, a timeout or a restart of the processor
replays it without loss and the gateway delivers it once. Ephemeral events are only the latest
state of something: while the gateway is away, at most ``ephemeral_limit`` wait, and the oldest are
dropped (counted in ``stats()`` and logged).
"""

from __future__ import annotations

import asyncio
import collections
import importlib
import inspect
import logging
import os
import sqlite3
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple

from . import mappers
from .errors import GatewayError
from .events import MAX_BATCH_EVENTS, MAX_BODY_BYTES, build_event, encode_batch, encode_event, new_event_id
from .publisher import HttpPublisher
from .spool import Spool

log = logging.getLogger("netsentinel_gateway.netsentinel")

#: The gateway used when neither ``url`` nor ``NS_GATEWAY_URL`` says otherwise.
DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080"
#: The spool file used when neither ``spool_path`` nor ``NS_GATEWAY_SPOOL`` says otherwise.
DEFAULT_SPOOL_PATH = "netsentinel-gateway-spool.sqlite3"
#: Event types whose events must not be lost (channels threats and alerts): they go through the spool.
LOSSLESS_TYPES = frozenset({"threat.new", "alert.new", "alert.acknowledged", "alert.resolved"})
#: The processor's bus event types this manager subscribes to (those of its own WebSocketManager
#: that have a gateway equivalent; ``db.event_stored`` and ``siem.*`` have none).
BUS_EVENT_TYPES = ("threat.new", "alert.new", "status.update", "ml.training.status", "ml.model.metrics")
# Where the processor's own manager sends wrapped messages ({type, data}) that have a gateway type.
_WRAPPED_TYPES = {"threat.new", "alert.new", "alert.acknowledged", "alert.resolved", "status.update",
                  "metrics.update", "ml.training.status", "ml.model.metrics"}

_REQUEST_BYTES = MAX_BODY_BYTES - 64 * 1024  # headroom under the gateway's body limit


def _find_event_bus() -> Any:
    """The processor's bus (``netsentinel.core.event_bus.get_event_bus()``) when it is importable."""
    for name in ("netsentinel.core.event_bus", "core.event_bus"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        get = getattr(module, "get_event_bus", None)
        if callable(get):
            return get()
    return None


class GatewayWebSocketManager:
    """Publishes the NetSentinel processor's threats, alerts, status and metrics to the gateway.

    ``url`` / ``api_key``: the gateway's base URL and a publish key; default ``NS_GATEWAY_URL``
    (else ``http://127.0.0.1:8080``) and ``NS_PUBLISH_KEY``. ``processor``: the
    ``RefactoredEventProcessor``; when given, its ``health_check()`` and ``get_processor_metrics()``
    are published every ``report_interval`` seconds as ``status.update`` / ``metrics.update``.
    ``event_bus``: the bus to follow (default: the processor's global ``get_event_bus()``).
    ``spool_path``: the sqlite file of the lossless spool (default ``NS_GATEWAY_SPOOL``, else
    ``netsentinel-gateway-spool.sqlite3`` in the working directory). ``queue_size``: events waiting
    to be spooled in memory (beyond it a hand-off writes to the spool itself). ``ephemeral_limit``:
    status/metrics events kept while the gateway is away. ``flush_timeout``: how long ``stop()`` keeps
    sending. ``timeout``: seconds per HTTP attempt; ``max_backoff``: longest wait between attempts.
    ``alert_hold``: how long an alert the processor raised before publishing its threat waits (in
    memory) for that threat, to carry its ``source_ip`` and ``threat_id``.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        *,
        processor: Any = None,
        event_bus: Any = None,
        spool_path: Optional[str] = None,
        queue_size: int = 10_000,
        ephemeral_limit: int = 1_000,
        report_interval: float = 10.0,
        flush_timeout: float = 10.0,
        timeout: float = 5.0,
        max_backoff: float = 5.0,
        max_batch: int = 500,
        alert_hold: float = 1.0,
    ) -> None:
        self.url = url or os.environ.get("NS_GATEWAY_URL") or DEFAULT_GATEWAY_URL
        key = api_key if api_key is not None else os.environ.get("NS_PUBLISH_KEY")
        self.publisher = HttpPublisher(self.url, key or None, timeout=timeout, retries=0)
        self.processor = processor
        self.event_bus = event_bus
        self.spool_path = spool_path or os.environ.get("NS_GATEWAY_SPOOL") or DEFAULT_SPOOL_PATH
        if not 1 <= max_batch <= MAX_BATCH_EVENTS:
            raise ValueError("max_batch must be 1..%d, got %r" % (MAX_BATCH_EVENTS, max_batch))
        self.queue_size = queue_size
        self.ephemeral_limit = ephemeral_limit
        self.report_interval = report_interval
        self.flush_timeout = flush_timeout
        self.max_backoff = max_backoff
        self.max_batch = max_batch
        self.alert_hold = alert_hold
        self._held_alerts: List[List[Any]] = []

        self._cond = threading.Condition()
        self._inbox: Deque[Tuple[str, str]] = collections.deque()  # lossless, not yet spooled
        self._ephemeral: Deque[Tuple[str, str]] = collections.deque()
        self._in_flight_ephemeral = 0
        self._wake_sender = threading.Event()
        self._stop_now = threading.Event()
        self._spool: Optional[Spool] = None
        self._threads: List[threading.Thread] = []
        self._subscriptions: List[Tuple[str, str]] = []
        self._report_task: Optional["asyncio.Future[None]"] = None
        self._recent_threats: Deque[Tuple[float, Tuple[Any, ...], Dict[str, Any]]] = collections.deque(maxlen=1000)
        self._started = False
        self._stopped = False
        self._stats: Dict[str, int] = collections.Counter()  # type: ignore[assignment]
        self._stats_lock = threading.Lock()
        self.last_error: Optional[str] = None

    def __repr__(self) -> str:  # never shows the key
        return "GatewayWebSocketManager(%r)" % self.url

    # -- lifecycle (the processor awaits these) ---------------------------------------------------

    async def start(self) -> bool:
        """Opens the spool (replaying what a previous run left in it), starts the sender and
        subscribes to the processor's event bus. Returns ``True``."""
        if self._started:
            return True
        self._spool = Spool(self.spool_path)
        left = len(self._spool)
        if left:
            log.info("replaying %d events spooled by a previous run (%s)", left, self.spool_path)
        self._count("replayed_from_spool", left)
        self._threads = [
            threading.Thread(target=self._spooler, name="ns-gateway-spooler", daemon=True),
            threading.Thread(target=self._sender, name="ns-gateway-sender", daemon=True),
        ]
        for t in self._threads:
            t.start()
        self._started = True
        bus = self.event_bus if self.event_bus is not None else _find_event_bus()
        if bus is None:
            log.warning("no NetSentinel event bus found (pass event_bus=); only direct broadcast_* calls are published")
        else:
            self.event_bus = bus
            for event_type in BUS_EVENT_TYPES:
                handler_id = bus.subscribe(event_type, self._on_bus_event, handler_id="ns-gateway:%s" % event_type)
                self._subscriptions.append((event_type, handler_id))
        if self.processor is not None and self.report_interval > 0:
            self._report_task = asyncio.ensure_future(self._report_loop())
        log.info("publishing to %s (spool %s)", self.publisher.endpoint, self.spool_path)
        return True

    async def stop(self, timeout: Optional[float] = None) -> bool:
        """Unsubscribes, then keeps sending for at most ``timeout`` (default ``flush_timeout``)
        seconds. Threats and alerts not sent by then stay in the spool for the next start. Returns
        ``True``."""
        if not self._started or self._stopped:
            return True
        self._stopped = True
        for event_type, handler_id in self._subscriptions:
            try:
                self.event_bus.unsubscribe(event_type, handler_id)
            except Exception:  # a bus that is already gone
                pass
        self._subscriptions.clear()
        if self._report_task is not None:
            self._report_task.cancel()
        self._release_held_alerts()
        deadline = time.monotonic() + (self.flush_timeout if timeout is None else timeout)
        await asyncio.get_running_loop().run_in_executor(None, self._finish, deadline)
        return True

    def _finish(self, deadline: float) -> None:
        flushed = self.flush(max(0.0, deadline - time.monotonic()))
        self._stop_now.set()
        self.publisher.close()
        with self._cond:
            self._cond.notify_all()
        self._wake_sender.set()
        for t in self._threads:
            t.join(max(0.5, deadline - time.monotonic()))
        with self._cond:
            dropped = len(self._ephemeral)
            self._ephemeral.clear()
        if dropped:
            self._count("ephemeral_dropped", dropped)
            log.warning("stop: %d status/metrics events were not sent and are dropped", dropped)
        assert self._spool is not None
        left = len(self._spool) if not self._spool.closed else 0
        self._spool.close()
        if left:
            log.warning("stop: %d threats/alerts not yet accepted by %s stay in %s and are sent at the next start",
                        left, self.publisher.endpoint, self.spool_path)
        elif flushed:
            log.info("stop: everything was sent")

    def flush(self, timeout: float) -> bool:
        """Waits (blocking) until everything handed over so far was accepted or ``timeout`` passed."""
        end = time.monotonic() + timeout
        while True:
            if self.pending() == 0:
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.01)

    def pending(self) -> int:
        """Events handed over and not yet accepted by the gateway (in memory and in the spool)."""
        with self._cond:
            waiting = len(self._inbox) + len(self._ephemeral) + self._in_flight_ephemeral + len(self._held_alerts)
        spool = self._spool
        if spool is not None and not spool.closed:
            try:
                waiting += len(spool)
            except sqlite3.ProgrammingError:
                pass
        return waiting

    def stats(self) -> Dict[str, int]:
        """Counters: ``handed_over``, ``sent``, ``spooled``, ``ephemeral_dropped``, ``rejected``
        (refused by the gateway for good), ``unmappable``, ``send_failures``, ``replayed_from_spool``."""
        with self._stats_lock:
            out = dict(self._stats)
        out["pending"] = self.pending()
        return out

    # -- the processor's event bus ----------------------------------------------------------------

    async def _on_bus_event(self, event: Any) -> None:
        self.handle(getattr(event, "event_type", ""), getattr(event, "data", None))

    def handle(self, event_type: str, data: Any) -> int:
        """Maps one of the processor's bus payloads (``threat.new``, ``alert.new``, ...) and hands it
        over; returns how many gateway events it became. A payload that cannot be mapped is logged
        (naming the field) and counted as ``unmappable``, never raised into the bus."""
        try:
            return self._dispatch(event_type, data)
        except (mappers.MappingError, ValueError, TypeError) as err:
            self._count("unmappable", 1)
            log.error("not published: a %s payload the gateway cannot take: %s", event_type, err)
            return 0

    def _dispatch(self, event_type: str, data: Any) -> int:
        if event_type == "threat.new":
            self._threat(data)
            return 1
        if event_type == "alert.new":
            self._alert(data)
            return 1
        if event_type == "alert.acknowledged":
            self._handoff("alert.acknowledged", mappers.acknowledgement(data))
            return 1
        if event_type == "alert.resolved":
            self._handoff("alert.resolved", mappers.resolution(data))
            return 1
        if event_type == "status.update":
            entries = mappers.status(data)
            for entry in entries:
                self._handoff("status.update", entry)
            return len(entries)
        if event_type == "ml.training.status":
            self._handoff("status.update", mappers.training_status(data))
            return 1
        if event_type in ("ml.model.metrics", "metrics.update"):
            self._handoff("metrics.update", mappers.metrics(data))
            return 1
        log.debug("no gateway event type for %r; not published", event_type)
        return 0

    def _threat(self, data: Any) -> str:
        mapped = mappers.threat(data)
        event_id = self._handoff("threat.new", mapped)
        remembered = dict(mapped, _gateway_id=event_id)
        key = mappers.threat_key(data)
        for entry in self._held_alerts:  # an alert that came first, waiting for this threat
            if entry[0] == key:
                self._release_alert(entry, remembered)
                break
        else:
            self._recent_threats.append((time.monotonic(), key, remembered))
        return event_id

    def _alert(self, data: Any) -> str:
        key = mappers.alert_key(data)
        mappers.alert(data)  # a payload that cannot be mapped is refused now, not when released
        if key is not None:
            # The processor raises alerts in the order of its threats: pair each alert with the
            # oldest threat of the last minute that has its key and no alert yet.
            horizon = time.monotonic() - 60.0
            for entry in self._recent_threats:
                at, threat_key, threat = entry
                if at >= horizon and threat_key == key and not threat.get("_alerted"):
                    threat["_alerted"] = True
                    return self._handoff("alert.new", mappers.alert(data, threat))
            # Its router often raises the alert before its analyzer callback has published the
            # threat: hold the alert (in memory, for at most alert_hold seconds) for its threat.
            if self.alert_hold > 0 and not self._stopped:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    loop = None
                if loop is not None:
                    event_id = new_event_id()
                    entry: List[Any] = [key, data, event_id, None]
                    entry[3] = loop.call_later(self.alert_hold, self._release_alert, entry, None)
                    self._held_alerts.append(entry)
                    self._count("alerts_held", 1)
                    return event_id
        return self._handoff("alert.new", mappers.alert(data))

    def _release_alert(self, entry: List[Any], threat: Optional[Dict[str, Any]]) -> None:
        key, data, event_id, timer = entry
        if entry not in self._held_alerts:
            return
        self._held_alerts.remove(entry)
        if timer is not None:
            timer.cancel()
        if threat is not None:
            threat["_alerted"] = True
        try:
            self._handoff("alert.new", mappers.alert(data, threat), event_id, even_if_stopped=True)
        except (ValueError, GatewayError) as err:
            self._count("unmappable", 1)
            log.error("alert %s not published: %s", event_id, err)

    def _release_held_alerts(self) -> None:
        for entry in list(self._held_alerts):
            self._release_alert(entry, None)

    # -- the manager's own API (as NetSentinel's WebSocketManager) ---------------------------------

    async def broadcast(self, channel: str, data: Dict[str, Any], queue_for_offline: bool = True) -> int:
        """Publishes ``data`` sent to one of the processor's channels: a wrapped message
        ``{type, data}`` by its type, else by channel (``threats``, ``alerts``, ``status``,
        ``metrics``, ``ml``). Returns how many gateway events were handed over (0 for a channel the
        gateway has no equivalent of)."""
        inner_type = data.get("type") if isinstance(data, Mapping) else None
        if isinstance(inner_type, str) and inner_type in _WRAPPED_TYPES and isinstance(data.get("data"), Mapping):
            return self.handle(inner_type, data)
        by_channel = {"threats": "threat.new", "alerts": "alert.new", "status": "status.update",
                      "metrics": "metrics.update", "ml": "ml.training.status"}.get(channel)
        if by_channel == "alert.new" and isinstance(data, Mapping) and "acknowledged_by" in data:
            by_channel = "alert.acknowledged"
        if by_channel is None:
            log.debug("channel %r has no gateway equivalent; not published", channel)
            return 0
        return self.handle(by_channel, data)

    async def broadcast_threat(self, threat_data: Dict[str, Any]) -> str:
        """Publishes one threat (the processor's bus shape); returns its event id. Raises
        ``MappingError``/``EncodingError`` (``ValueError``) naming the field it cannot send."""
        return self._threat(threat_data)

    async def broadcast_alert(self, alert_data: Dict[str, Any]) -> str:
        """Publishes one alert; returns its event id."""
        return self._alert(alert_data)

    async def broadcast_status(self, status_data: Dict[str, Any]) -> List[str]:
        """Publishes a ``health_check()`` report or one component's status; returns the event ids."""
        return [self._handoff("status.update", s) for s in mappers.status(status_data)]

    async def broadcast_metrics(self, metrics_data: Dict[str, Any]) -> str:
        """Publishes metrics (processor, ML or ``{component, metrics}``), flattened; returns the id."""
        return self._handoff("metrics.update", mappers.metrics(metrics_data))

    async def publish_threat_event(self, threat_data: Dict[str, Any]) -> None:
        """As NetSentinel's manager: puts the threat on the processor's bus (this manager follows it)."""
        await self._publish_on_bus("threat.new", threat_data)

    async def publish_alert_event(self, alert_data: Dict[str, Any]) -> None:
        await self._publish_on_bus("alert.new", alert_data)

    async def publish_status_event(self, status_data: Dict[str, Any]) -> None:
        await self._publish_on_bus("status.update", status_data)

    async def _publish_on_bus(self, event_type: str, data: Dict[str, Any]) -> None:
        bus = self.event_bus
        module = importlib.import_module(type(bus).__module__) if bus is not None else None
        create = getattr(module, "create_event", None)
        if bus is None or create is None:
            self.handle(event_type, data)
            return
        await bus.publish(create(event_type, data))

    async def report_now(self) -> int:
        """Publishes the processor's ``health_check()`` and ``get_processor_metrics()`` now; returns
        how many events were handed over."""
        count = 0
        for method, convert, event_type in (
            ("health_check", mappers.status_from_health, "status.update"),
            ("get_processor_metrics", lambda m: [mappers.processor_metrics(m)], "metrics.update"),
        ):
            call: Optional[Callable[[], Any]] = getattr(self.processor, method, None)
            if call is None:
                continue
            try:
                value = call()
                if inspect.isawaitable(value):
                    value = await value
                for data in convert(value):
                    self._handoff(event_type, data)
                    count += 1
            except Exception as err:  # a report must never take the processor down
                self._count("unmappable", 1)
                log.error("processor %s() not published: %s", method, err)
        return count

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(self.report_interval)
            await self.report_now()

    # Read by the processor's API server (api_server.py /api/websocket/* routes).
    def get_connection_stats(self) -> Dict[str, Any]:
        return {"gateway_url": self.url, "active_connections": 0, **self.stats()}

    def get_performance_metrics(self) -> Dict[str, Any]:
        return self.get_connection_stats()

    def get_connection_analytics(self) -> Dict[str, Any]:
        return self.get_connection_stats()

    # -- hand-off (the only part that runs on the caller's thread) --------------------------------

    def _handoff(self, event_type: str, data: Mapping[str, Any], event_id: Optional[str] = None, even_if_stopped: bool = False) -> str:
        if self._stopped and not even_if_stopped:
            raise GatewayError(None, "closed", "the manager is stopped; %s not published" % event_type)
        event = build_event(event_type, data, event_id)
        body = encode_event(event)  # EncodingError (ValueError) names the field
        spill = False
        with self._cond:
            if event_type in LOSSLESS_TYPES:
                if len(self._inbox) < self.queue_size:
                    self._inbox.append((event["id"], body))
                    if len(self._inbox) == 1:  # wake the spooler only when it may be idle
                        self._cond.notify()
                else:
                    spill = True
            else:
                if len(self._ephemeral) >= self.ephemeral_limit:
                    self._ephemeral.popleft()
                    self._drop_ephemeral(1)
                self._ephemeral.append((event["id"], body))
        if spill:  # the spooler fell behind: write this one ourselves rather than lose it
            self._count("spilled_by_caller", 1)
            assert self._spool is not None, "start() first"
            self._spool.add([(event["id"], body)])
        self._count("handed_over", 1)
        if not self._wake_sender.is_set():
            self._wake_sender.set()
        return event["id"]

    def _count(self, name: str, n: int = 1) -> int:
        # The caller's thread and both background threads count: one lock, no lost increments.
        with self._stats_lock:
            self._stats[name] += n
            return self._stats[name]

    def _drop_ephemeral(self, n: int) -> None:
        dropped = self._count("ephemeral_dropped", n)
        if dropped == n or dropped % 100 < n:
            log.warning("gateway unreachable: dropped the oldest status/metrics events (%d so far; limit %d waiting)",
                        dropped, self.ephemeral_limit)

    # -- background threads -----------------------------------------------------------------------

    def _spooler(self) -> None:
        spool = self._spool
        assert spool is not None
        while True:
            with self._cond:
                while not self._inbox and not self._stop_now.is_set():
                    self._cond.wait(0.5)
            # Let a burst gather: one transaction for many events, and fewer thread switches
            # competing with the processor's thread for the interpreter.
            if not self._stop_now.is_set():
                time.sleep(0.002)
            with self._cond:
                batch = list(self._inbox)
                self._inbox.clear()
            if batch:
                try:
                    self._count("spooled", spool.add(batch))
                except sqlite3.Error as err:  # the disk is full or the file is gone: keep them in memory
                    log.error("spool %s: %s; %d events stay in memory", self.spool_path, err, len(batch))
                    with self._cond:
                        self._inbox.extendleft(reversed(batch))
                    time.sleep(0.5)
                self._wake_sender.set()
            elif self._stop_now.is_set():
                return

    def _sender(self) -> None:
        spool = self._spool
        assert spool is not None
        backoff = 0.0
        limit = self.max_batch
        while not self._stop_now.is_set():
            try:
                rows = spool.oldest(limit, _REQUEST_BYTES)
            except sqlite3.ProgrammingError:  # closed by stop()
                return
            with self._cond:
                room = limit - len(rows)
                ephemeral = [self._ephemeral.popleft() for _ in range(min(room, len(self._ephemeral)))]
                self._in_flight_ephemeral = len(ephemeral)
            if not rows and not ephemeral:
                self._wake_sender.wait(0.5)
                self._wake_sender.clear()
                continue
            bodies = [body for _, _, body in rows] + [body for _, body in ephemeral]
            try:
                results = self.publisher.send(encode_batch(bodies), len(bodies))
            except GatewayError as err:
                self._count("send_failures", 1)
                self.last_error = str(err)
                keep_ephemeral, drop_rows, limit, wait = self._after_failure(err, rows, ephemeral, limit)
                self._requeue(keep_ephemeral)
                if drop_rows:
                    self._remove(spool, drop_rows)
                if wait:
                    backoff = min(self.max_backoff, max(0.05, backoff * 2))
                    log.warning("publish to %s failed (%s); %d events wait, retry in %.2fs",
                                self.publisher.endpoint, err, self.pending(), backoff)
                    self._stop_now.wait(backoff)
                continue
            except Exception as err:  # never let the sender die: log, keep the events, retry
                self._count("send_failures", 1)
                log.exception("unexpected error while publishing: %s", err)
                self._requeue(ephemeral)
                self._stop_now.wait(1.0)
                continue
            if not self._remove(spool, [row for row, _, _ in rows]):
                return
            with self._cond:
                self._in_flight_ephemeral = 0
            self._count("sent", len(results))
            backoff = 0.0
            limit = self.max_batch

    def _remove(self, spool: Spool, rows: List[int]) -> bool:
        try:
            spool.remove(rows)
            return True
        except sqlite3.ProgrammingError:  # closed by stop(): the rows are replayed next start
            return False

    def _requeue(self, ephemeral: List[Tuple[str, str]]) -> None:
        with self._cond:
            self._in_flight_ephemeral = 0
            self._ephemeral.extendleft(reversed(ephemeral))
            over = len(self._ephemeral) - self.ephemeral_limit
            for _ in range(max(0, over)):
                self._ephemeral.popleft()  # the oldest go first
        if over > 0:
            self._drop_ephemeral(over)

    def _after_failure(
        self, err: GatewayError, rows: List[Tuple[int, str, str]], ephemeral: List[Tuple[str, str]], limit: int
    ) -> Tuple[List[Tuple[str, str]], List[int], int, bool]:
        """``(ephemeral to keep, spool rows to drop, next batch limit, wait before retrying)``."""
        n = len(rows) + len(ephemeral)
        # Not the events' fault: the gateway is away, busy, or refuses our key. Keep all, wait.
        if err.retryable or err.status is None or err.status in (401, 403, 404) or err.status >= 500:
            return ephemeral, [], limit, True
        indexes = {i.get("index") for i in err.issues if isinstance(i.get("index"), int)}
        if n == 1:
            indexes = {0}
        if not indexes:
            # A refusal that names no event (e.g. 413 for the whole body): try smaller batches.
            return ephemeral, [], max(1, n // 2), False
        ids = [i for _, i, _ in rows] + [i for i, _ in ephemeral]
        for index in sorted(indexes):
            if 0 <= index < n:
                self._count("rejected", 1)
                paths = [i.get("path") for i in err.issues if i.get("index") in (index, None)]
                log.error("gateway refused event %s for good (%s %s at %s); it is dropped", ids[index], err.status, err.code, paths)
        drop_rows = [row for k, (row, _, _) in enumerate(rows) if k in indexes]
        keep = [e for k, e in enumerate(ephemeral) if k + len(rows) not in indexes]
        return keep, drop_rows, limit, False
