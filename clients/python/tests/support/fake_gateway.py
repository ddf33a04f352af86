"""A scripted stand-in for the gateway's ``POST /v1/publish``: a real ``http.server`` on a free
loopback port, in a thread. Each request takes the next scripted reply (or the default: 202 with a
result per event, numbering seqs per channel like the gateway) and is recorded."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Union

CHANNEL_OF = {"threat": "threats", "alert": "alerts", "status": "status", "metrics": "metrics",
              "event": "events", "correlation": "correlations", "system": "system"}


class Recorded:
    def __init__(self, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.raw = body
        self.body = json.loads(body)

    @property
    def events(self) -> List[Dict[str, Any]]:
        """The events of the request, whether sent as one event or as ``{events: [...]}``."""
        return self.body["events"] if "events" in self.body else [self.body]

    @property
    def ids(self) -> List[str]:
        return [e.get("id") for e in self.events]


#: A scripted reply: (status, body, headers); DROP closes the connection without answering; SLOW
#: accepts the events (like the gateway storing them) and answers only after ``slow_seconds``.
Reply = Union[tuple, str]
DROP = "drop"
SLOW = "slow"
#: HOLD sets ``held`` when the request arrives and answers (202) only once ``release`` is set.
HOLD = "hold"


class FakeGateway:
    def __init__(self) -> None:
        self.requests: List[Recorded] = []
        self.script: List[Reply] = []
        self.seqs: Dict[str, int] = {}
        self.accepted: Dict[str, Dict[str, Any]] = {}  # id -> result (idempotency, like the gateway)
        self.on_request: Optional[Callable[[Recorded], None]] = None
        self.slow_seconds = 1.0
        self.held = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                record = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake._lock:
                    fake.requests.append(record)
                    reply = fake.script.pop(0) if fake.script else None
                    if reply is None:
                        reply = (202, fake._accept(record.events), {})
                if fake.on_request is not None:
                    fake.on_request(record)
                if reply == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if reply == SLOW:
                    with fake._lock:
                        reply = (202, fake._accept(record.events), {})
                    time.sleep(fake.slow_seconds)
                if reply == HOLD:
                    fake.held.set()
                    fake.release.wait()
                    with fake._lock:
                        reply = (202, fake._accept(record.events), {})
                status, payload, headers = reply
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _accept(self, events: List[Dict[str, Any]]) -> Dict[str, Any]:
        results = []
        for e in events:
            if e.get("id") in self.accepted:
                results.append(self.accepted[e["id"]])
                continue
            channel = CHANNEL_OF[e["type"].split(".")[0]]
            self.seqs[channel] = self.seqs.get(channel, 0) + 1
            result = {"id": e.get("id") or "gen_%d" % len(self.accepted), "channel": channel, "seq": self.seqs[channel]}
            self.accepted[result["id"]] = result
            results.append(result)
        return {"results": results}

    def reply(self, *replies: Reply) -> None:
        """Queues replies for the next requests (then the default resumes)."""
        with self._lock:
            self.script.extend(replies)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def error_body(code: str, message: str, issues: Optional[list] = None) -> Dict[str, Any]:
    error: Dict[str, Any] = {"code": code, "message": message}
    if issues is not None:
        error["issues"] = issues
    return {"error": error}
