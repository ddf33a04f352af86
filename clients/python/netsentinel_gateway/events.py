"""Event ids, publish bodies and their JSON encoding (strict: no NaN/Infinity)."""

from __future__ import annotations

import datetime
import enum
import json
import math
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, TypedDict

#: The protocol's plain data (limits, close and error codes) as the contracts generate it
#: (``schemas/wire.json``, bundled with this package by sync_schemas.py), read rather than retyped.
with open(Path(__file__).resolve().parent / "schemas" / "wire.json", encoding="utf-8") as _wire_file:
    WIRE: Dict[str, Any] = json.load(_wire_file)

#: Most events one ``POST /v1/publish`` may carry (the contracts' MAX_BATCH_EVENTS).
MAX_BATCH_EVENTS: int = WIRE["limits"]["max_batch_events"]
#: The gateway's request body limit (apps/gateway MAX_PUBLISH_BODY_BYTES).
MAX_BODY_BYTES = 4 * 1024 * 1024

#: The event type each ``broadcast_*`` method publishes (the contracts' BROADCASTER_METHODS).
BROADCAST_TYPES = {
    "broadcast_threat": "threat.new",
    "broadcast_alert": "alert.new",
    "broadcast_status": "status.update",
    "broadcast_metrics": "metrics.update",
}


class PublishResult(TypedDict):
    """What the gateway assigned to one published event."""

    id: str
    channel: str
    seq: int


def new_event_id() -> str:
    """A fresh idempotency id, ``evt_`` + 32 hex digits (matches the contracts' EventId)."""
    return "evt_" + uuid.uuid4().hex


def build_event(type: str, data: Mapping[str, Any], id: Optional[str] = None) -> Dict[str, Any]:
    """The publish body of one event, ``{type, id, data}``, with its id fixed now: every later attempt
    to send it carries the same id, so the gateway never delivers it twice."""
    if not isinstance(type, str) or not type:
        raise TypeError("event type must be a non-empty string like 'threat.new'")
    if not isinstance(data, Mapping):
        raise TypeError("event data must be a mapping (dict), got %s" % data.__class__.__name__)
    return {"type": type, "id": new_event_id() if id is None else id, "data": dict(data)}


def with_id(event: Mapping[str, Any]) -> Dict[str, Any]:
    """A copy of a caller's ``{type, data, id?}`` with an id (the caller's dict is not modified)."""
    if not isinstance(event, Mapping):
        raise TypeError("each event must be a mapping {type, data, id?}, got %s" % event.__class__.__name__)
    out = dict(event)
    if out.get("id") is None:
        out["id"] = new_event_id()
    return out


class EncodingError(ValueError):
    """A value that cannot be sent as JSON, with the path of its field (``data.logdata.USERNAME``).
    Raised before anything is sent; a ``ValueError`` (never a bare ``TypeError``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__("%s %s (nothing was sent)" % (path or "(root)", message))
        #: Where the value is, in the gateway's notation (``data.indicators[2]``).
        self.path = path
        #: What is wrong with it, without the path.
        self.reason = message


def _child(path: str, key: str) -> str:
    return "%s.%s" % (path, key) if path else key


def to_wire(value: Any, path: str = "") -> Any:
    """``value`` as the JSON value it will be sent as, converting what the processor hands over:
    ``datetime`` -> epoch seconds (a naive one is taken as local time, like ``datetime.timestamp()``),
    enums -> their value, tuples/sets/frozensets -> lists (sets sorted when their items allow),
    numpy scalars -> Python numbers. Raises :class:`EncodingError` naming the field for anything else
    JSON cannot hold (bytes, arbitrary objects, non-string keys other than numbers, NaN/Infinity)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EncodingError(path, "is not a finite number; JSON has no NaN or Infinity")
        return float(value)
    if isinstance(value, enum.Enum):
        return to_wire(value.value, path)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if isinstance(key, enum.Enum):
                key = key.value
            if isinstance(key, bool) or not isinstance(key, (str, int, float)):
                raise EncodingError(_child(path, repr(key)), "has a key of type %s; JSON object keys are strings" % key.__class__.__name__)
            key = str(key) if not isinstance(key, str) else key
            out[key] = to_wire(item, _child(path, key))
        return out
    if isinstance(value, (list, tuple)):
        return [to_wire(item, "%s[%d]" % (path, i)) for i, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = list(value)
        try:
            items.sort()
        except TypeError:
            pass
        return [to_wire(item, "%s[%d]" % (path, i)) for i, item in enumerate(items)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise EncodingError(path, "is bytes; decode it to text first (e.g. value.decode('utf-8', 'replace'))")
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (datetime.date, datetime.time)):
        try:
            converted = item()
        except (TypeError, ValueError):
            converted = value
        if converted is not value and isinstance(converted, (bool, int, float, str)):
            return to_wire(converted, path)
    raise EncodingError(path, "is a %s, which JSON cannot hold" % value.__class__.__name__)


def encode_event(event: Mapping[str, Any]) -> str:
    """One event as compact JSON text, after :func:`to_wire`. Raises :class:`EncodingError` (a
    ``ValueError``) naming the field when a value cannot be sent: NaN or Infinity, bytes, an object
    JSON cannot hold."""
    return json.dumps(to_wire(event), allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def encode_batch(encoded_events: Iterable[str]) -> bytes:
    """The ``{"events": [...]}`` body from events already encoded by :func:`encode_event`."""
    return ('{"events":[' + ",".join(encoded_events) + "]}").encode("utf-8")


def non_finite_path(value: Any, path: str = "") -> Optional[str]:
    """Path (``data.threat_score``, ``data.metrics.p99_ms``, ``indicators[2]``) of the first NaN or
    infinite float inside ``value``, or ``None``."""
    if isinstance(value, enum.Enum):
        value = value.value
    elif not isinstance(value, (str, bytes, Mapping, list, tuple)) and callable(getattr(value, "item", None)):
        value = value.item()
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "(root)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = non_finite_path(item, "%s.%s" % (path, key) if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = non_finite_path(item, "%s[%d]" % (path, index))
            if found is not None:
                return found
    return None


def results_of(body: Any, expected: int) -> List[PublishResult]:
    """The ``results`` of a 202 body, checked to hold one ``{id, channel, seq}`` per event sent."""
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) != expected:
        raise ValueError("expected {results: [...]} with %d entries" % expected)
    for r in results:
        if not (isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("channel"), str) and isinstance(r.get("seq"), int)):
            raise ValueError("each result must be {id, channel, seq}")
    return results
