#!/usr/bin/env python3
"""Tail NetSentinel channels from the gateway over WebSocket, with Python ``websockets``
(Debian: ``apt-get install python3-websockets``; pip: ``pip install websockets``).

    python3 tail.py                                   # threats and alerts on ws://127.0.0.1:8080/ws
    python3 tail.py threats --filter 'threats={"min_score": 7, "levels": ["high", "critical"]}'
    python3 tail.py alerts --since alerts=k3v9q1:42   # resume after seq 42 of epoch k3v9q1
    python3 tail.py status metrics --json             # one JSON envelope per line

Reconnects by itself and resumes every channel from the last event it printed (``since``), so a
dropped connection or a gateway restart neither skips nor repeats events while the gateway still
holds them. Environment: ``NS_GATEWAY_URL`` (the gateway, as for publishing: ``http://host:8080``; a
``ws://…/ws`` URL works too), ``NS_TOKEN`` (a JWT, when the gateway requires one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

import websockets

# Close codes (docs/protocol.md#close-codes: unauthorized, forbidden, bad origin) and upgrade statuses after which
# reconnecting cannot help.
FATAL_CODES = {1008, 4001, 4003, 401, 403}


def _refusal_code(err: Exception) -> Optional[int]:
    """The close code or HTTP status of a failed connection (websockets 10 to 14 spell it differently)."""
    for owner in (getattr(err, "rcvd", None), getattr(err, "response", None), err):
        for name in ("code", "status_code"):
            value = getattr(owner, name, None)
            if isinstance(value, int):
                return value
    return None


class TailError(Exception):
    """The gateway refused the connection or a subscription for good."""


class ChannelTail:
    """Subscribes to channels and yields their events in order, exactly once, across reconnects.

    ``cursors`` holds the position per channel (``{epoch, seq}`` of the last event, or of the
    channel's head when subscribed); on reconnect each channel is re-subscribed with ``since`` set
    to it. The gateway then replays what was missed
    (``recovered: true``) or, when its history no longer reaches back (a restart with the memory
    engine, or more missed events than it keeps), everything it still holds (``recovered: false``,
    reported through ``on_notice``). Events already seen are skipped by (epoch, seq).
    """

    def __init__(
        self,
        url: str,
        channels: List[str],
        *,
        filters: Optional[Dict[str, Dict[str, Any]]] = None,
        since: Optional[Dict[str, Dict[str, Any]]] = None,
        token: Optional[str] = None,
        reconnect: bool = True,
        max_backoff: float = 5.0,
        on_notice: Callable[[str], None] = lambda text: print(text, file=sys.stderr),
        on_subscribed: Callable[[Dict[str, Any]], None] = lambda message: None,
    ) -> None:
        self.url = url
        self.channels = list(channels)
        self.filters = dict(filters or {})
        self.cursors: Dict[str, Dict[str, Any]] = dict(since or {})
        self.token = token
        self.reconnect = reconnect
        self.max_backoff = max_backoff
        self.on_notice = on_notice
        self.on_subscribed = on_subscribed
        #: ``subscribed`` replies, newest last (tests and tools read ``recovered``/``replayed``).
        self.subscriptions: List[Dict[str, Any]] = []
        self._last: Dict[str, Dict[str, Any]] = {}  # last event yielded per channel (duplicates check)
        self.connections = 0
        self._ws: Any = None

    async def events(self) -> AsyncIterator[Dict[str, Any]]:
        """Every event of the subscribed channels, as the gateway's envelope dicts."""
        attempt = 0
        while True:
            try:
                async with self._connect() as ws:
                    self._ws = ws
                    self.connections += 1
                    await self._handshake(ws)
                    attempt = 0
                    async for raw in ws:
                        message = json.loads(raw)
                        if self._accept(message):
                            yield message
                    reason, code = "closed by the gateway (%s)" % ws.close_code, ws.close_code
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as err:
                reason, code = str(err), _refusal_code(err)
            finally:
                self._ws = None
            if not self.reconnect:
                return
            if code in FATAL_CODES:
                raise TailError("gateway refused the connection: %s" % reason)
            delay = min(self.max_backoff, 0.1 * 2 ** attempt) * (0.5 + random.random() / 2)
            attempt += 1
            self.on_notice("disconnected: %s; reconnecting in %.1fs" % (reason, delay))
            await asyncio.sleep(delay)

    async def close(self) -> None:
        """Stops reconnecting and closes the current connection (ends :meth:`events`)."""
        self.reconnect = False
        if self._ws is not None:
            try:
                await self._ws.close()
            except websockets.exceptions.WebSocketException:
                pass  # already gone

    def _connect(self) -> Any:
        headers = {"Authorization": "Bearer " + self.token} if self.token else {}
        # websockets 14+ renamed the header option of its (new) client.
        header_option = "additional_headers" if int(websockets.__version__.split(".")[0]) >= 14 else "extra_headers"
        return websockets.connect(self.url, subprotocols=["ns.v1"], **{header_option: headers})

    async def _handshake(self, ws: Any) -> None:
        welcome = json.loads(await ws.recv())
        if welcome.get("type") != "welcome":
            raise TailError("expected welcome, got %r" % welcome)
        for channel in self.channels:
            message: Dict[str, Any] = {"type": "subscribe", "id": "sub-" + channel, "channel": channel}
            if self.filters.get(channel):
                message["filter"] = self.filters[channel]
            if channel in self.cursors:
                message["since"] = {"epoch": self.cursors[channel]["epoch"], "seq": self.cursors[channel]["seq"]}
            await ws.send(json.dumps(message))

    def _accept(self, message: Dict[str, Any]) -> bool:
        kind = message.get("type")
        if kind == "subscribed":
            self._subscribed(message)
            return False
        if kind == "error":
            if str(message.get("id", "")).startswith("sub-"):
                raise TailError("subscribe refused: %s: %s" % (message.get("code"), message.get("message")))
            self.on_notice("error from gateway: %s: %s" % (message.get("code"), message.get("message")))
            return False
        if not isinstance(kind, str) or "." not in kind or "channel" not in message:
            return False  # pong, auth_expiring, ...
        channel = message["channel"]
        last = self._last.get(channel)
        if last is not None and last["epoch"] == message["epoch"] and message["seq"] <= last["seq"]:
            return False  # already printed (a replay overlapping what this tail saw before)
        self._last[channel] = self.cursors[channel] = {"epoch": message["epoch"], "seq": message["seq"]}
        return True

    def _subscribed(self, message: Dict[str, Any]) -> None:
        self.subscriptions.append(message)
        channel, cursor = message["channel"], self.cursors.get(message["channel"])
        if cursor is not None and not message.get("recovered"):
            self.on_notice(
                "%s: history no longer reaches %s:%s; now epoch %s seq %s (%d retained events replayed)"
                % (channel, cursor["epoch"], cursor["seq"], message["epoch"], message["seq"], message.get("replayed", 0))
            )
        if not message.get("replayed"):
            # Nothing to replay: the position is the channel's head, so a reconnect resumes from
            # here even if no event arrives before it.
            self.cursors[channel] = {"epoch": message["epoch"], "seq": message["seq"]}
        self.on_subscribed(message)


def format_event(event: Dict[str, Any]) -> str:
    """``21:10:18.569 threats#42 threat.new {"source_ip": ...}``"""
    ts = event.get("ts", time.time())
    clock = time.strftime("%H:%M:%S", time.localtime(ts)) + (".%03d" % int((ts % 1) * 1000))
    return "%s %s#%s %s %s" % (clock, event["channel"], event["seq"], event["type"], json.dumps(event["data"], separators=(",", ":")))


def _pairs(values: List[str], what: str) -> Dict[str, str]:
    out = {}
    for v in values:
        channel, sep, rest = v.partition("=")
        if not sep:
            raise SystemExit("--%s expects CHANNEL=VALUE, got %r" % (what, v))
        out[channel] = rest
    return out


def ws_url(url: str) -> str:
    """The /ws endpoint of a gateway given by its base URL (``http://host:8080``) or its WebSocket URL."""
    if url.startswith(("ws://", "wss://")):
        return url
    if url.startswith(("http://", "https://")):
        base = "ws" + url[len("http"):]
        return base if base.rstrip("/").endswith("/ws") else base.rstrip("/") + "/ws"
    raise SystemExit("--url must be http(s)://host:port or ws(s)://host:port/ws, got %r" % url)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Tail NetSentinel gateway channels over WebSocket.")
    parser.add_argument("channels", nargs="*", default=["threats", "alerts"], help="channels (default: threats alerts)")
    parser.add_argument("--url", default=os.environ.get("NS_GATEWAY_URL", "http://127.0.0.1:8080"), help="gateway URL (NS_GATEWAY_URL)")
    parser.add_argument("--token", default=os.environ.get("NS_TOKEN"), help="JWT sent as Authorization: Bearer (NS_TOKEN)")
    parser.add_argument("--filter", action="append", default=[], metavar="CHANNEL=JSON", help='e.g. threats=\'{"min_score": 7}\'')
    parser.add_argument("--since", action="append", default=[], metavar="CHANNEL=EPOCH:SEQ", help="resume after this event")
    parser.add_argument("--json", action="store_true", help="print each event as one line of JSON")
    parser.add_argument("--count", type=int, default=0, help="exit after this many events")
    args = parser.parse_args(argv)

    filters = {c: json.loads(v) for c, v in _pairs(args.filter, "filter").items()}
    since = {}
    for channel, value in _pairs(args.since, "since").items():
        epoch, _, seq = value.rpartition(":")
        since[channel] = {"epoch": epoch, "seq": int(seq)}
    tail = ChannelTail(ws_url(args.url), args.channels, filters=filters, since=since, token=args.token)

    async def run() -> None:
        seen = 0
        async for event in tail.events():
            print(json.dumps(event, separators=(",", ":")) if args.json else format_event(event), flush=True)
            seen += 1
            if args.count and seen >= args.count:
                await tail.close()

    try:
        asyncio.run(run())
    except TailError as err:
        print("tail: %s" % err, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
