"""A TCP relay in front of the gateway that can lose responses: the request reaches the gateway
(which stores the events), but the client's connection is closed before the answer arrives -- the
case where only an idempotent id keeps a retry from publishing twice."""

from __future__ import annotations

import socket
import threading


def _read_http_message(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class ResponseDroppingRelay:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.drop = 0
        self.dropped = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def drop_next(self, n: int) -> None:
        """Lose the responses to the next ``n`` requests."""
        with self._lock:
            self.drop += n

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            request = _read_http_message(client)
            upstream.sendall(request)
            response = _read_http_message(upstream)  # the gateway has answered: the events are stored
            with self._lock:
                lose = self.drop > 0
                if lose:
                    self.drop -= 1
                    self.dropped += 1
                else:
                    self.forwarded += 1
            if not lose:
                client.sendall(response)

    def close(self) -> None:
        self._server.close()
