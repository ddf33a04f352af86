#!/usr/bin/env python3
"""The lines the seed adds to NetSentinel's ``refactored_event_processor.py`` (``__init__`` ~line 87,
``_process_event`` ~lines 200-220), written against ``netsentinel_gateway``.

Only the two blocks marked ``added`` belong in the processor; the small classes around them stand in
for the processor's own types so that this file runs as is:

    NS_GATEWAY_URL=http://127.0.0.1:8080 NS_PUBLISH_KEY=... python3 examples/processor_integration.py
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

try:
    from netsentinel_gateway import GatewayBroadcaster, GatewayError
except ImportError:  # run from a checkout without `pip install ./clients/python`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from netsentinel_gateway import GatewayBroadcaster, GatewayError

logger = logging.getLogger("netsentinel.processor")


# -- stand-ins for the processor's types (already in NetSentinel) ---------------------------------


class ThreatLevel(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass
class Event:
    source_ip: str


@dataclass
class ProcessingResult:
    event: Event
    threat_score: float
    threat_level: ThreatLevel


@dataclass
class ProcessorConfig:
    websocket_enabled: bool = True
    gateway_url: str = os.environ.get("NS_GATEWAY_URL", "http://127.0.0.1:8080")
    gateway_api_key: Optional[str] = os.environ.get("NS_PUBLISH_KEY")


# -- the processor ------------------------------------------------------------------------------


class RefactoredEventProcessor:
    def __init__(self, config: ProcessorConfig) -> None:
        self.config = config
        # ... existing initialisation ...

        # added (~line 87): initialize the WebSocket broadcaster if enabled
        self.websocket_manager = None
        if self.config.websocket_enabled:
            self.websocket_manager = GatewayBroadcaster(self.config.gateway_url, self.config.gateway_api_key)

    async def _process_event(self, result: ProcessingResult) -> ProcessingResult:
        # ... existing analysis produced `result`; nothing above changes ...

        # added (~lines 200-220): broadcast threats and alerts to WebSocket clients
        if self.websocket_manager:
            try:
                if result.threat_score > 5.0:
                    await self.websocket_manager.broadcast_threat({
                        "source_ip": result.event.source_ip,
                        "threat_score": result.threat_score,
                        "threat_level": result.threat_level.value,
                        "timestamp": time.time(),
                    })
                if result.threat_level.value in ("high", "critical"):
                    alert_id = "alert_" + uuid.uuid4().hex
                    await self.websocket_manager.broadcast_alert({
                        "id": alert_id,
                        "severity": result.threat_level.value,
                        "message": "%s threat from %s" % (result.threat_level.value, result.event.source_ip),
                        "source_ip": result.event.source_ip,
                        "timestamp": time.time(),
                    }, id=alert_id)
            except (GatewayError, ValueError) as err:  # a gateway outage must not stop processing
                logger.warning("broadcast failed: %s", err)
        return result


async def demo(config: ProcessorConfig) -> List[ProcessingResult]:
    """Processes three sample results: a high threat (threat + alert), a low one (nothing) and a
    medium one above the threshold (threat only)."""
    processor = RefactoredEventProcessor(config)
    samples = [
        ProcessingResult(Event("192.168.1.100"), 8.5, ThreatLevel.HIGH),
        ProcessingResult(Event("192.168.1.101"), 3.0, ThreatLevel.LOW),
        ProcessingResult(Event("2001:db8::7"), 6.0, ThreatLevel.MEDIUM),
    ]
    try:
        return [await processor._process_event(r) for r in samples]
    finally:
        if processor.websocket_manager:
            await processor.websocket_manager.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(demo(ProcessorConfig()))
    print("published; watch with: python3 examples/tail.py threats alerts")
