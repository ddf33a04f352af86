"""The one implementation of publishing: ``POST /v1/publish`` with urllib, retried with backoff.

Both broadcasters (async and sync) and the buffer send through this; it blocks, so the async API runs
it in worker threads.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any, Callable, Dict, List, Optional

from ._version import __version__
from .errors import CLOSED, CONNECTION_FAILED, INVALID_RESPONSE, GatewayError
from .events import MAX_BATCH_EVENTS, PublishResult, results_of
from .retry import RetryPolicy, parse_retry_after

log = logging.getLogger("netsentinel_gateway")

PUBLISH_PATH = "/v1/publish"

# Codes for error responses whose body is not the gateway's JSON (e.g. from a proxy in front of it).
_CODE_BY_STATUS = {400: "invalid_message", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   413: "message_too_large", 429: "rate_limited", 502: "unavailable", 503: "unavailable",
                   504: "unavailable"}


def publish_endpoint(url: str) -> str:
    """``http://host:8080`` (or ``.../v1/publish``) -> ``http://host:8080/v1/publish``."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("gateway url must start with http:// or https://, got %r" % url)
    base = url.rstrip("/")
    return base if base.endswith(PUBLISH_PATH) else base + PUBLISH_PATH


class HttpPublisher:
    """Publishes events to one gateway. Thread-safe; holds no connection between calls.

    Every event gets its id before the first attempt, so repeating a request after a timeout, a
    connection error, a 503 or a 429 never delivers an event twice (the gateway answers a repeated id
    with the first result).
    """

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
        sleep: Optional[Callable[[float], None]] = None,
    ) -> None:
        """``timeout``: seconds per attempt. ``retries``, ``backoff``, ``max_backoff``,
        ``max_retry_after``: see :class:`RetryPolicy`. ``sleep``: replaces the wait between attempts
        (tests record the delays instead of waiting)."""
        self.endpoint = publish_endpoint(url)
        self.timeout = timeout
        self.retry = RetryPolicy(retries=retries, backoff=backoff, max_backoff=max_backoff, max_retry_after=max_retry_after)
        self._headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "netsentinel-gateway-python/%s" % __version__,
        }
        if api_key:
            self._headers["Authorization"] = "Bearer " + api_key
        self._sleep = sleep
        self._closed = threading.Event()
        self._opener = urllib.request.build_opener()

    def __repr__(self) -> str:  # never shows the key
        return "HttpPublisher(%r)" % self.endpoint

    def send(self, body: bytes, count: int) -> List[PublishResult]:
        """POSTs one request body holding ``count`` events (each already carrying its id) and returns
        their results in order, retrying per the policy; raises :class:`GatewayError`."""
        if not 1 <= count <= MAX_BATCH_EVENTS:
            raise ValueError("a request holds 1 to %d events, got %d" % (MAX_BATCH_EVENTS, count))
        attempt = 0
        while True:
            if self._closed.is_set():
                raise GatewayError(None, CLOSED, "publisher is closed; nothing was sent", attempts=attempt)
            try:
                return self._attempt(body, count)
            except GatewayError as err:
                err.attempts = attempt + 1
                if not err.retryable or attempt >= self.retry.retries:
                    raise
                if err.retry_after is not None and err.retry_after > self.retry.max_retry_after:
                    raise
                delay = self.retry.delay(attempt, err.retry_after)
                log.warning("publish to %s failed (%s); retry %d/%d in %.2fs", self.endpoint, err, attempt + 1, self.retry.retries, delay)
                self._wait(delay)
                if self._closed.is_set():
                    raise GatewayError(None, CLOSED, "publisher closed while waiting to retry: %s" % err, attempts=attempt + 1) from err
                attempt += 1

    def close(self) -> None:
        """Stops retrying: a call waiting to retry raises ``GatewayError(code='closed')``."""
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- attempts --------------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._closed.wait(seconds)

    def _attempt(self, body: bytes, count: int) -> List[PublishResult]:
        request = urllib.request.Request(self.endpoint, data=body, headers=self._headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            with err:
                raise _error_from_response(err.code, _read(err), err.headers.get("Retry-After")) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", None) or err
            raise GatewayError(None, CONNECTION_FAILED, "could not reach %s: %s" % (self.endpoint, reason)) from err
        try:
            return results_of(json.loads(raw), count)
        except ValueError as err:
            raise GatewayError(status, INVALID_RESPONSE, "unexpected response from %s: %s" % (self.endpoint, err)) from err


def _read(response: Any) -> bytes:
    try:
        return response.read()
    except (OSError, http.client.HTTPException):
        return b""


def _error_from_response(status: int, raw: bytes, retry_after_header: Optional[str]) -> GatewayError:
    code = _CODE_BY_STATUS.get(status, "http_error")
    message = "HTTP %d" % status
    issues: List[Dict[str, Any]] = []
    details = None
    try:
        error = json.loads(raw)["error"]
        code = str(error["code"])
        message = str(error.get("message", message))
        issues = [i for i in error.get("issues") or [] if isinstance(i, dict)]
        details = error.get("details") if isinstance(error.get("details"), dict) else None
    except (ValueError, KeyError, TypeError):
        text = raw[:200].decode("utf-8", "replace").strip()
        if text:
            message = "%s: %s" % (message, text)
    return GatewayError(status, code, message, issues=issues, details=details,
                        retry_after=parse_retry_after(retry_after_header))
