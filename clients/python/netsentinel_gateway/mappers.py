"""Pure functions from NetSentinel's own payloads to the gateway's event data.

NetSentinel's processor (github.com/ndaedxo/NetSentinel, ``src/netsentinel``) publishes on its event
bus in shapes of its own; each function here turns one of them into the ``data`` of one gateway event
type, or raises :class:`MappingError` naming the field it could not use. The shapes they take are
recorded as fixtures in ``tests/fixtures/netsentinel/`` with the NetSentinel file each comes from.

No I/O, no clock except a ``now`` argument's default: the manager calls them at hand-off.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
import math
import re
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

#: OpenCanary ``logtype`` codes (opencanary/logger.py, ``LoggerBase.LOG_*``) as event type names.
#: Where NetSentinel's own ``EventType`` (core/models.py) has a name for the service, that name is
#: used (``4002`` -> ``ssh_login``), so a filter on the processor's names matches; the others are the
#: OpenCanary constant's name, lower-cased, without ``LOG_``. ``9999`` is NetSentinel's packet
#: anomaly (processors/event_consumer.py severity map).
LOGTYPE_NAMES: Dict[int, str] = {
    1000: "base_boot", 1001: "base_msg", 1002: "base_debug", 1003: "base_error", 1004: "base_ping",
    1005: "base_config_save", 1006: "base_example",
    2000: "ftp_login",
    3000: "http_request", 3001: "http_post_login_attempt",
    4000: "ssh_new_connection", 4001: "ssh_remote_version_sent", 4002: "ssh_login",
    5000: "smb_file_open", 5001: "port_syn", 5002: "port_nmapos", 5003: "port_nmapnull",
    5004: "port_nmapxmas", 5005: "port_nmapfin",
    6001: "telnet_login",
    7001: "httpproxy_login_attempt",
    8001: "mysql_login",
    9001: "mssql_login_sqlauth", 9002: "mssql_login_winauth",
    9999: "packet_anomaly",
    10001: "tftp", 11001: "ntp_monlist", 12001: "vnc", 13001: "snmp_cmd", 14001: "rdp",
    15001: "sip_request", 16001: "git_clone_request", 17001: "redis_command",
    18001: "tcp_banner_connection_made", 18002: "tcp_banner_keep_alive_connection_made",
    18003: "tcp_banner_keep_alive_secret_received", 18004: "tcp_banner_keep_alive_data_received",
    18005: "tcp_banner_data_received",
}

LEVELS = ("low", "medium", "high", "critical")
# NetSentinel components report these; anything else is "degraded" with the original kept in `state`.
_HEALTH = {"healthy": "healthy", "ok": "healthy", "running": "healthy", "degraded": "degraded",
           "unhealthy": "unhealthy", "error": "unhealthy", "failed": "unhealthy", "stopped": "unhealthy"}
_IPV4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")

SHORT = 256  # the contracts' ShortText
PROCESSOR_COMPONENT = "event_processor"


class MappingError(ValueError):
    """A NetSentinel payload the gateway cannot take, with the path of the field (``data.threat_score``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__("%s %s" % (path, message))
        self.path = path


# -- small helpers ---------------------------------------------------------------------------------


def unwrap(data: Any) -> Mapping[str, Any]:
    """The payload of a message NetSentinel wrapped as ``{"type": ..., "data": {...}}`` (its
    ``broadcast_*`` helpers, the ML pipeline, websocket_server's acknowledgement), else ``data``."""
    if isinstance(data, Mapping) and isinstance(data.get("type"), str) and isinstance(data.get("data"), Mapping):
        return data["data"]
    if not isinstance(data, Mapping):
        raise MappingError("data", "must be a mapping, got %s" % data.__class__.__name__)
    return data


def epoch_seconds(value: Any, path: str, now: Optional[float] = None) -> float:
    """A timestamp as Unix epoch seconds: floats/ints as they are (milliseconds are divided back),
    ``datetime`` converted, ``None``/missing -> ``now``."""
    if value is None:
        return time.time() if now is None else now
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise MappingError(path, "must be epoch seconds or a datetime, got %r" % (value,)) from None
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise MappingError(path, "must be a finite, non-negative epoch time, got %r" % value)
    return value / 1000.0 if value > 1e11 else value  # a millisecond clock, sent as seconds


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def level(value: Any, path: str) -> str:
    """``ThreatLevel.HIGH`` / ``"HIGH"`` / ``"high"`` -> ``"high"``; anything else is an error."""
    text = _text(value).strip().lower() if value is not None else ""
    if text not in LEVELS:
        raise MappingError(path, "must be one of %s, got %r" % ("/".join(LEVELS), value))
    return text


def is_ip_address(text: Any) -> bool:
    """Whether ``text`` is an address the contracts accept as ``source_ip``: IPv4 dotted quad
    without leading zeros, or IPv6 without a zone id (``fe80::1%eth0`` is not one)."""
    if not isinstance(text, str) or not text or "%" in text or "/" in text:
        return False
    if _IPV4.match(text):
        return True
    if ":" not in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def source_fields(source: Any) -> Dict[str, Any]:
    """``source_ip`` and ``source`` of a threat from what the sensor reported: an address goes in
    ``source_ip``; anything else (``"unknown"``, a host name, ``fe80::1%eth0``) gives
    ``source_ip: None`` with the text kept in ``source`` (contracts 0.2.0)."""
    text = _text(source).strip() if source is not None else ""
    if is_ip_address(text):
        return {"source_ip": text}
    return {"source_ip": None, "source": _clip(text or "unknown", SHORT)}


def event_type_fields(value: Any) -> Dict[str, Any]:
    """``"4002"`` -> ``{"event_type": "ssh_login", "logtype": 4002}``; a code without a name keeps the
    code as its name; a name stays as it is."""
    if value is None or value == "":
        return {}
    if isinstance(value, enum.Enum):
        value = value.value
    text = _text(value).strip()
    if text.isdigit():
        code = int(text)
        return {"event_type": LOGTYPE_NAMES.get(code, "logtype_%d" % code), "logtype": code}
    return {"event_type": _clip(text, SHORT)}


def string_list(values: Any, path: str, *, max_items: int, max_len: int) -> List[str]:
    """Indicators and tags as the contracts take them: strings, no empty ones, clipped."""
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise MappingError(path, "must be a list of strings, got %s" % values.__class__.__name__)
    out = [_clip(_text(v), max_len) for v in values if v is not None and _text(v) != ""]
    return out[:max_items]


def flatten_numbers(values: Any, prefix: str = "") -> Dict[str, float]:
    """Nested metrics as one flat ``{"dotted.name": number}``: numbers only (booleans, strings, lists
    and non-finite floats are left out; a gauge must be a number)."""
    out: Dict[str, float] = {}
    if not isinstance(values, Mapping):
        return out
    for key, value in values.items():
        name = "%s.%s" % (prefix, key) if prefix else _text(key)
        if isinstance(value, Mapping):
            out.update(flatten_numbers(value, name))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            item = getattr(value, "item", None)  # numpy scalars
            if callable(item) and not isinstance(value, (str, bytes)):
                try:
                    converted = item()
                except (TypeError, ValueError):
                    continue
                if isinstance(converted, (int, float)) and not isinstance(converted, bool) and math.isfinite(converted):
                    out[_clip(name, SHORT)] = converted
        elif math.isfinite(value):
            out[_clip(name, SHORT)] = value
    return out


# -- threats and alerts ----------------------------------------------------------------------------


_THREAT_DONE = {"source_ip", "source", "threat_score", "threat_level", "timestamp", "event_type", "indicators"}


def threat(data: Any, now: Optional[float] = None) -> Dict[str, Any]:
    """``threat.new`` data from the processor's bus payload (refactored_event_processor.py
    ``route_analysis_result``: ``{source_ip: event.source, threat_score, threat_level, event_type,
    timestamp, indicators}``). ``source_ip`` there is whatever the consumer put in
    ``StandardEvent.source`` -- ``"unknown"`` when the sensor sent no address."""
    d = unwrap(data)
    score = d.get("threat_score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(float(score)) or score < 0:
        raise MappingError("data.threat_score", "must be a finite number >= 0, got %r" % (score,))
    out: Dict[str, Any] = source_fields(d.get("source_ip") if d.get("source_ip") not in (None, "") else d.get("source"))
    out["threat_score"] = float(score)
    out["threat_level"] = level(d.get("threat_level"), "data.threat_level")
    out["timestamp"] = epoch_seconds(d.get("timestamp"), "data.timestamp", now)
    out.update(event_type_fields(d.get("event_type")))
    if d.get("indicators") is not None:
        out["indicators"] = string_list(d.get("indicators"), "data.indicators", max_items=256, max_len=1024)
    for key, value in d.items():  # newer processors' extra fields pass through
        if key not in _THREAT_DONE and key not in out:
            out[key] = value
    return out


def alert(data: Any, related_threat: Optional[Mapping[str, Any]] = None, now: Optional[float] = None) -> Dict[str, Any]:
    """``alert.new`` data from the processor's bus payload (refactored_event_processor.py
    ``_handle_alert``: ``{id, severity, message, description, timestamp, source, tags}``). It carries
    no address; ``related_threat`` (the ``threat.new`` data it was raised for, when known) gives
    ``source_ip`` and ``threat_id``."""
    d = unwrap(data)
    alert_id = d.get("id") if d.get("id") not in (None, "") else d.get("alert_id")
    if alert_id in (None, ""):
        raise MappingError("data.id", "is missing (an alert needs its id)")
    message = d.get("message") or d.get("title") or d.get("description")
    if message in (None, ""):
        raise MappingError("data.message", "is missing (nor is there a title or description)")
    out: Dict[str, Any] = {
        "id": _clip(_text(alert_id), SHORT),
        "severity": level(d.get("severity"), "data.severity"),
        "message": _clip(_text(message), 4096),
        "timestamp": epoch_seconds(d.get("timestamp"), "data.timestamp", now),
    }
    if d.get("title"):
        out["title"] = _clip(_text(d["title"]), 512)
    if d.get("description"):
        out["description"] = _clip(_text(d["description"]), 16384)
    if d.get("source"):
        out["source"] = _clip(_text(d["source"]), SHORT)
    tags = string_list(d.get("tags"), "data.tags", max_items=64, max_len=128)
    if tags:
        out["tags"] = tags
    own_ip = d.get("source_ip")
    if is_ip_address(own_ip):
        out["source_ip"] = own_ip
    elif related_threat is not None and is_ip_address(related_threat.get("source_ip")):
        out["source_ip"] = related_threat["source_ip"]
    if related_threat is not None and related_threat.get("_gateway_id"):
        out["threat_id"] = related_threat["_gateway_id"]
    return out


def _alert_state(data: Any, by_keys: Tuple[str, ...], at_keys: Tuple[str, ...], now: Optional[float]) -> Dict[str, Any]:
    d = unwrap(data)
    alert_id = d.get("alert_id") if d.get("alert_id") not in (None, "") else d.get("id")
    if alert_id in (None, ""):
        raise MappingError("data.alert_id", "is missing")
    by = next((d[k] for k in by_keys if d.get(k) not in (None, "")), None)
    if by is None:
        raise MappingError("data.%s" % by_keys[0], "is missing (who changed the alert)")
    when = next((d[k] for k in at_keys if d.get(k) is not None), None)
    out = {"id": _clip(_text(alert_id), SHORT), "by": _clip(_text(by), SHORT), "timestamp": epoch_seconds(when, "data.timestamp", now)}
    if d.get("note"):
        out["note"] = _clip(_text(d["note"]), 4096)
    return out


def acknowledgement(data: Any, now: Optional[float] = None) -> Dict[str, Any]:
    """``alert.acknowledged`` data from websocket_server.py's acknowledgement
    (``{alert_id, acknowledged_by, timestamp}``, possibly wrapped in ``{type, data}``)."""
    return _alert_state(data, ("acknowledged_by", "by"), ("timestamp", "acknowledged_at"), now)


def resolution(data: Any, now: Optional[float] = None) -> Dict[str, Any]:
    """``alert.resolved`` data from ``{alert_id, resolved_by, timestamp}`` (StandardAlert's fields)."""
    return _alert_state(data, ("resolved_by", "by"), ("timestamp", "resolved_at"), now)


def threat_key(threat_data: Mapping[str, Any]) -> Tuple[Any, ...]:
    """What an alert and the threat it was raised for share in the processor's payloads (its alert
    has ``message "Threat Detected: <event_type>"``, ``description "Threat score: <score:.2f>"``,
    ``severity`` = the level and ``tags`` = the indicators). Takes the processor's threat payload."""
    d = unwrap(threat_data)
    score = d.get("threat_score")
    shown = "%.2f" % score if isinstance(score, (int, float)) and not isinstance(score, bool) else None
    return (_text(d.get("event_type")), _text(d.get("threat_level")).lower(), shown, tuple(_text(t) for t in d.get("indicators") or ()))


def alert_key(alert_data: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
    """The :func:`threat_key` of the threat a processor alert was raised for, read back from the
    alert's text; ``None`` for an alert that does not have the processor's form."""
    d = unwrap(alert_data)
    m1 = re.match(r"^Threat Detected: (.*)$", _text(d.get("message") or d.get("title") or ""))
    m2 = re.match(r"^Threat score: ([0-9.]+)$", _text(d.get("description") or ""))
    if not (m1 and m2):
        return None
    return (m1.group(1), _text(d.get("severity")).lower(), m2.group(1), tuple(_text(t) for t in d.get("tags") or ()))


# -- status and metrics ----------------------------------------------------------------------------


def health(value: Any) -> str:
    """A NetSentinel health word as the contracts' ``healthy``/``degraded``/``unhealthy``."""
    if isinstance(value, bool):
        return "healthy" if value else "unhealthy"
    return _HEALTH.get(_text(value).strip().lower(), "degraded")


def status_from_health(report: Any, component: str = PROCESSOR_COMPONENT) -> List[Dict[str, Any]]:
    """``status.update`` data, one per component, from ``RefactoredEventProcessor.health_check()``
    (``{status, timestamp, components: {name: {healthy, state}}, unhealthy_components?}``): the
    processor as ``event_processor`` and each part as ``event_processor.<name>``."""
    d = unwrap(report)
    components = d.get("components")
    if not isinstance(components, Mapping):
        raise MappingError("data.components", "must be the health_check() mapping of components")
    overall: Dict[str, Any] = {"component": component, "status": health(d.get("status")), "state": _clip(_text(d.get("status", "unknown")), SHORT)}
    unhealthy = [str(n) for n in d.get("unhealthy_components") or []]
    if unhealthy:
        overall["message"] = _clip("unhealthy: " + ", ".join(unhealthy), 4096)
    overall["metrics"] = {"components": len(components), "unhealthy_components": len(unhealthy)}
    out = [overall]
    for name, part in components.items():
        part = part if isinstance(part, Mapping) else {}
        entry: Dict[str, Any] = {"component": _clip("%s.%s" % (component, name), SHORT), "status": health(part.get("healthy", part.get("status")))}
        if part.get("state") is not None:
            entry["state"] = _clip(_text(part["state"]), SHORT)
        out.append(entry)
    return out


def status(data: Any) -> List[Dict[str, Any]]:
    """``status.update`` data from a ``status.update`` bus payload: a ``health_check()`` report, or
    one component's ``{component, status, ...}``."""
    d = unwrap(data)
    if isinstance(d.get("components"), Mapping):
        return status_from_health(d)
    if d.get("component") in (None, ""):
        raise MappingError("data.component", "is missing (or send a health_check() report with components)")
    out: Dict[str, Any] = {"component": _clip(_text(d["component"]), SHORT), "status": health(d.get("status"))}
    if d.get("status") is not None and health(d.get("status")) != _text(d.get("status")):
        out["state"] = _clip(_text(d["status"]), SHORT)
    if d.get("state") is not None:
        out["state"] = _clip(_text(d["state"]), SHORT)
    if d.get("message"):
        out["message"] = _clip(_text(d["message"]), 4096)
    metrics = d.get("metrics")
    if isinstance(metrics, Mapping):
        out["metrics"] = {_clip(_text(k), SHORT): v for k, v in metrics.items()
                          if isinstance(v, (int, float, str, bool)) and not (isinstance(v, float) and not math.isfinite(v))}
    return [out]


def training_status(data: Any) -> Dict[str, Any]:
    """``status.update`` data for ``ml.<model_type>`` from the ML pipeline's ``ml.training.status``
    (ml_models/training_pipeline.py: ``{type, data: {model_type, status, progress, timestamp, details}}``)."""
    d = unwrap(data)
    model = d.get("model_type")
    if model in (None, ""):
        raise MappingError("data.model_type", "is missing")
    state = _text(d.get("status") or "unknown")
    out: Dict[str, Any] = {"component": _clip("ml.%s" % _text(model), SHORT), "status": "unhealthy" if state == "failed" else "healthy",
                           "state": _clip(state, SHORT)}
    progress = d.get("progress")
    if isinstance(progress, (int, float)) and not isinstance(progress, bool) and math.isfinite(progress):
        out["metrics"] = {"progress": float(progress)}
    details = d.get("details")
    if isinstance(details, Mapping) and details.get("error"):
        out["message"] = _clip(_text(details["error"]), 4096)
    return out


def processor_metrics(metrics: Any, component: str = PROCESSOR_COMPONENT, now: Optional[float] = None) -> Dict[str, Any]:
    """``metrics.update`` data from ``RefactoredEventProcessor.get_processor_metrics()``: its nested
    ``consumer_metrics``/``analyzer_metrics``/... flattened to ``consumer_metrics.queue_size`` and so
    on, numbers only (``config`` flags, names and states are left out)."""
    d = unwrap(metrics)
    flat = flatten_numbers({k: v for k, v in d.items() if k != "config"})
    return {"component": component, "metrics": flat, "timestamp": epoch_seconds(d.get("timestamp"), "data.timestamp", now)}


def ml_metrics(data: Any, now: Optional[float] = None) -> Dict[str, Any]:
    """``metrics.update`` data for ``ml.<model_type>`` from ``ml.model.metrics``
    (ml_models/training_pipeline.py: ``{type, data: {model_type, metrics: {...}, timestamp}}``)."""
    d = unwrap(data)
    model = d.get("model_type")
    if model in (None, ""):
        raise MappingError("data.model_type", "is missing")
    return {"component": _clip("ml.%s" % _text(model), SHORT), "metrics": flatten_numbers(d.get("metrics")),
            "timestamp": epoch_seconds(d.get("timestamp"), "data.timestamp", now)}


def metrics(data: Any, now: Optional[float] = None) -> Dict[str, Any]:
    """``metrics.update`` data from whatever reaches the metrics channel: an ML metrics payload, a
    ``{component, metrics}`` one (flattened), or ``get_processor_metrics()`` output."""
    d = unwrap(data)
    if d.get("model_type") not in (None, "") and isinstance(d.get("metrics"), Mapping):
        return ml_metrics(d, now)
    if d.get("component") not in (None, "") and isinstance(d.get("metrics"), Mapping):
        return {"component": _clip(_text(d["component"]), SHORT), "metrics": flatten_numbers(d["metrics"]),
                "timestamp": epoch_seconds(d.get("timestamp"), "data.timestamp", now)}
    return processor_metrics(d, now=now)
