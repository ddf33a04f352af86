"""Publish NetSentinel events to the real-time gateway (``POST /v1/publish``) from Python.

Standard library only; ``validate()`` uses ``jsonschema`` when it is installed.

    from netsentinel_gateway import GatewayBroadcaster

    broadcaster = GatewayBroadcaster("http://127.0.0.1:8080", api_key)
    result = await broadcaster.broadcast_threat({"source_ip": "192.168.1.100", "threat_score": 8.5,
                                                 "threat_level": "high", "timestamp": time.time()})
    # {'id': 'evt_…', 'channel': 'threats', 'seq': 42}

NetSentinel's processor uses ``netsentinel_gateway.netsentinel.GatewayWebSocketManager`` in place of
its WebSocket manager (it follows the processor's event bus and never blocks it).
"""

import logging

from ._version import __version__
from .broadcaster import GatewayBroadcaster, SyncGatewayBroadcaster
from .buffer import BufferedBroadcaster, PendingPublish
from .errors import BufferFullError, GatewayError
from .events import BROADCAST_TYPES, MAX_BATCH_EVENTS, EncodingError, PublishResult, build_event, new_event_id, to_wire
from .interface import IWebSocketBroadcaster
from .publisher import HttpPublisher
from .retry import RetryPolicy
from .validation import validate, validation_issues

# A library logs; the application decides where it goes (retries are WARNING, lost events ERROR).
logging.getLogger("netsentinel_gateway").addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "BROADCAST_TYPES",
    "BufferFullError",
    "BufferedBroadcaster",
    "EncodingError",
    "GatewayBroadcaster",
    "GatewayError",
    "HttpPublisher",
    "IWebSocketBroadcaster",
    "MAX_BATCH_EVENTS",
    "PendingPublish",
    "PublishResult",
    "RetryPolicy",
    "SyncGatewayBroadcaster",
    "build_event",
    "new_event_id",
    "to_wire",
    "validate",
    "validation_issues",
]
