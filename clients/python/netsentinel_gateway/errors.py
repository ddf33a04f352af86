"""The one exception type of the client, carrying the gateway's error code and per-field issues."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

#: Client-side codes, used when the gateway never answered (its own codes come from the contracts'
#: ERROR_CODES table: invalid_json, invalid_message, unknown_type, unauthorized, forbidden,
#: rate_limited, message_too_large, unavailable, internal, ...).
CONNECTION_FAILED = "connection_failed"
INVALID_RESPONSE = "invalid_response"
BUFFER_FULL = "buffer_full"
CLOSED = "closed"

# Statuses after which the same request may succeed later. A POST is safe to repeat because every
# event carries an id fixed before the first attempt (the gateway returns the first result for it).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class GatewayError(Exception):
    """A publish that failed.

    ``status`` is the HTTP status (``None`` when the gateway never answered), ``code`` the gateway's
    error code (e.g. ``invalid_message``) or a client-side one (``connection_failed``, ``buffer_full``,
    ``closed``), ``issues`` the per-field problems of a 4xx as the gateway reports them
    (``{"path": "events[1].data.source_ip", "code": ..., "message": ..., "index": 1}``).
    """

    def __init__(
        self,
        status: Optional[int],
        code: str,
        message: str,
        issues: Optional[List[Dict[str, Any]]] = None,
        details: Optional[Dict[str, Any]] = None,
        retry_after: Optional[float] = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.issues: List[Dict[str, Any]] = list(issues or [])
        self.details = details
        #: Seconds the gateway asked us to wait (``Retry-After``), when it did.
        self.retry_after = retry_after
        #: How many times the request was sent (more than 1 when retries ran out).
        self.attempts = attempts

    @property
    def paths(self) -> List[str]:
        """The field paths named by :attr:`issues`, e.g. ``["data.source_ip"]``."""
        return [str(i.get("path", "")) for i in self.issues]

    @property
    def retryable(self) -> bool:
        """Whether repeating the same request (same ids) may succeed."""
        return self.status in RETRYABLE_STATUSES or self.code == CONNECTION_FAILED

    def __str__(self) -> str:
        where = "no response" if self.status is None else "HTTP %d" % self.status
        return "%s (%s): %s" % (self.code, where, self.message)

    def __repr__(self) -> str:
        return "GatewayError(status=%r, code=%r, message=%r, issues=%r)" % (
            self.status,
            self.code,
            self.message,
            self.issues,
        )


class BufferFullError(GatewayError):
    """Raised by :class:`~netsentinel_gateway.BufferedBroadcaster` when its bounded buffer is full."""

    def __init__(self, message: str) -> None:
        super().__init__(None, BUFFER_FULL, message)
