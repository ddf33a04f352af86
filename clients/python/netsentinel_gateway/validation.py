"""``validate(event)``: a publish body checked against the bundled copy of the repository's
``schemas/`` before it is sent, with the gateway's field-path notation (``data.source_ip``).

Needs ``jsonschema`` >= 4 (``pip install jsonschema`` or Debian's ``python3-jsonschema``); the rest of
the package does not.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Union

from .errors import GatewayError
from .events import EncodingError, to_wire

#: The bundled schemas (a copy of the repository's ``schemas/``, refreshed by ``sync_schemas.py``).
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
#: Largest serialized ``data`` of one event (the contracts' MAX_EVENT_DATA_BYTES).
MAX_EVENT_DATA_BYTES = 65536

_MISSING_JSONSCHEMA = (
    "netsentinel_gateway.validate() needs the jsonschema package: "
    "pip install jsonschema (or apt-get install python3-jsonschema)"
)


def load_schema(relative_path: str) -> Dict[str, Any]:
    """One bundled schema, e.g. ``load_schema("data/threat.new.json")``."""
    return _load(relative_path)


@functools.lru_cache(maxsize=None)
def _load(relative_path: str) -> Dict[str, Any]:
    with open(SCHEMAS_DIR / relative_path, encoding="utf-8") as f:
        return json.load(f)


def event_types() -> List[str]:
    """Every event type the bundled contracts know (``threat.new``, ``alert.new``, ...)."""
    return sorted(_publish_branches())


def require() -> None:
    """Raises ``ImportError`` with install instructions when ``jsonschema`` is missing."""
    try:
        import jsonschema  # noqa: F401
    except ImportError as err:
        raise ImportError(_MISSING_JSONSCHEMA) from err


def prepare() -> None:
    """Loads the schemas and builds every validator now (about 0.2 s), so the first ``validate()``
    does not stall an event loop; raises ``ImportError`` when ``jsonschema`` is missing."""
    require()
    for branch in _publish_branches().values():
        _validator(branch)


def validation_issues(event: Any) -> List[Dict[str, Any]]:
    """Problems of one publish body ``{type, data, id?}`` as it will be sent: a list of
    ``{path, code, message}`` (empty when valid). Paths are the gateway's (``data.source_ip``, ``priority`` for an unknown
    top-level field); codes are JSON Schema keywords (``required``, ``enum``, ``format``...)."""
    if not isinstance(event, Mapping):
        return [_issue("", "type", "an event must be an object {type, data, id?}")]
    # What is checked is exactly what will be sent: the event after the encoder's conversions
    # (datetime -> epoch seconds, enums -> values, tuples/sets -> lists).
    try:
        wire = to_wire(event)
    except EncodingError as err:
        code = "not_finite" if "finite" in err.reason else "not_encodable"
        return [_issue(err.path, code, err.reason)]
    branch = _publish_branches().get(wire.get("type"))  # type: ignore[arg-type]
    if branch is None:
        known = ", ".join(event_types())
        return [_issue("type", "unknown_type", "unknown event type %r (known: %s)" % (wire.get("type"), known))]
    issues = _schema_issues(_validator(branch), wire)
    if not issues:
        size = len(json.dumps(wire.get("data"), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        if size > MAX_EVENT_DATA_BYTES:
            issues.append(_issue("data", "too_big", "data is %d bytes serialized; the limit is %d" % (size, MAX_EVENT_DATA_BYTES)))
    return issues


def validate(event: Any) -> None:
    """Raises :class:`GatewayError` (``status=None``, ``code`` ``invalid_message`` or ``unknown_type``,
    ``issues`` with paths) when ``event`` would be rejected by the gateway's schema; returns ``None``
    when it is valid."""
    issues = validation_issues(event)
    if not issues:
        return
    code = "unknown_type" if issues[0]["code"] == "unknown_type" else "invalid_message"
    first = issues[0]
    more = " (and %d more)" % (len(issues) - 1) if len(issues) > 1 else ""
    raise GatewayError(None, code, "%s: %s%s" % (first["path"] or "(root)", first["message"], more), issues=issues)


# -- internals ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _publish_branches() -> Dict[str, Dict[str, Any]]:
    # publish-event.json is a oneOf over types; validating the branch of the event's own type gives
    # errors about that event instead of "not valid under any of the given schemas".
    root = _load("publish/publish-event.json")
    branches = {}
    for branch in root["oneOf"]:
        const = branch["properties"]["type"]["const"]
        branches[const] = dict(branch, **{"$defs": root["$defs"], "$schema": root["$schema"]})
    return branches


_validators: Dict[str, Any] = {}


def _validator(branch: Dict[str, Any]) -> Any:
    key = branch["properties"]["type"]["const"]
    found = _validators.get(key)
    if found is None:
        require()
        from jsonschema import Draft202012Validator

        # format_checker: without it jsonschema ignores "format": "ipv4"/"ipv6".
        found = Draft202012Validator(branch, format_checker=Draft202012Validator.FORMAT_CHECKER)
        _validators[key] = found
    return found


def _schema_issues(validator: Any, instance: Dict[str, Any]) -> List[Dict[str, Any]]:
    issues: List[Dict[str, Any]] = []
    seen = set()
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        for path, message in _paths_of(error, validator.schema.get("$defs", {})):
            if path not in seen:
                seen.add(path)
                issues.append(_issue(path, str(error.validator), message))
    return issues


def _title_of(schema: Any, defs: Mapping[str, Any]) -> str:
    """A schema's title (following a local ``$ref``), ``null`` for the null type, else ``""``."""
    if not isinstance(schema, Mapping):
        return ""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs.get(ref[len("#/$defs/"):], {})
    if isinstance(schema.get("title"), str):
        return schema["title"]
    return "null" if schema.get("type") == "null" else ""


def _paths_of(error: Any, defs: Mapping[str, Any]) -> List[tuple]:
    base = list(error.absolute_path)
    if error.validator == "required":
        return [(format_path(base + [k]), "required field %r is missing" % k) for k in error.validator_value if k not in error.instance]
    if error.validator == "additionalProperties" and error.validator_value is False:
        known = set(error.schema.get("properties", {}))
        return [(format_path(base + [k]), "unknown field %r" % k) for k in error.instance if k not in known]
    if error.validator in ("anyOf", "oneOf"):
        # "'1.2.3.x' is not valid under any of the given schemas" says less than the schemas' titles.
        names = [_title_of(error.schema, defs)] if isinstance(error.schema.get("title"), str) else \
            [_title_of(branch, defs) for branch in error.validator_value]
        if all(names):
            return [(format_path(base), "%r is not a valid %s" % (error.instance, " or ".join(names)))]
    return [(format_path(base), error.message)]


def format_path(segments: Sequence[Union[str, int]]) -> str:
    """``["data", "indicators", 2]`` -> ``data.indicators[2]`` (the gateway's notation)."""
    out = ""
    for s in segments:
        if isinstance(s, int):
            out += "[%d]" % s
        else:
            out += s if out == "" else "." + s
    return out


def _issue(path: str, code: str, message: str) -> Dict[str, Any]:
    return {"path": path, "code": code, "message": message}
