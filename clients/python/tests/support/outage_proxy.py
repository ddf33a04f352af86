"""A TCP front for the real gateway that can be down in the two ways that matter: ``refuse`` (nothing
listens: connection refused) and ``hang`` (connections are accepted and never answered), or
``forward`` everything to the gateway."""

from __future__ import annotations

import socket
import threading
from typing import List, Optional


class OutageProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = "http://127.0.0.1:%d" % self.port
        self.mode = "refuse"
        self.accepted = 0
        self._server: Optional[socket.socket] = None
        self._held: List[socket.socket] = []
        self._lock = threading.Lock()

    def set(self, mode: str) -> None:
        """``refuse``, ``hang`` or ``forward``."""
        with self._lock:
            self.mode = mode
            if mode == "refuse":
                self._close_server()
            elif self._server is None:
                self._server = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR on POSIX
                threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()
            if mode != "hang":
                for held in self._held:  # end the hung requests (the client sees its connection die)
                    held.close()
                self._held.clear()

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if self.mode == "hang":
                    self._held.append(client)  # read nothing, answer nothing
                    continue
            threading.Thread(target=self._pipe_both, args=(client,), daemon=True).start()

    def _pipe_both(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return

        def pipe(src: socket.socket, dst: socket.socket) -> None:
            try:
                while True:
                    chunk = src.recv(65536)
                    if not chunk:
                        break
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                src.close()

        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def close(self) -> None:
        with self._lock:
            self._close_server()
            for held in self._held:
                held.close()
            self._held.clear()
