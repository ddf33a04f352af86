"""Runs the real gateway (``node apps/gateway/dist/cli.js start``) for the integration tests."""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from typing import Dict, List, Optional

from . import REPO_ROOT

CLI = REPO_ROOT / "apps" / "gateway" / "dist" / "cli.js"
PUBLISH_KEY = "py-client-test-key-0123456789"


def require_gateway_build() -> str:
    """The node binary; raises (so the tests fail, not skip) when the built gateway is missing."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH: the integration tests run the real gateway (apps/gateway)")
    if not CLI.is_file():
        raise RuntimeError(
            "%s is missing: the integration tests run the built gateway. Run `npm run build` at the "
            "repository root first (`npm test` and .ci/run do)." % CLI
        )
    return node


def _die_with_parent() -> None:
    # Linux: the gateway gets SIGTERM if the test runner dies (a CI timeout), so none is left behind.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class GatewayProcess:
    """One ``ns-gateway start`` child process on a loopback port, with ``NS_PUBLISH_KEYS`` set.

    ``port=0`` picks a free port (read from the banner); pass the same port again to restart a
    gateway where its clients expect it."""

    def __init__(self, port: int = 0, env: Optional[Dict[str, str]] = None) -> None:
        self.port = port
        self.env = env or {}
        self.proc: Optional[subprocess.Popen] = None
        self.output: List[str] = []
        self._listening = threading.Event()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    @property
    def ws_url(self) -> str:
        return "ws://127.0.0.1:%d/ws" % self.port

    def start(self, timeout: float = 20.0) -> "GatewayProcess":
        """Spawns the gateway and waits until it is ready."""
        self.spawn()
        return self.wait_ready(timeout)

    def spawn(self) -> "GatewayProcess":
        """Spawns the gateway without waiting. Call it from the main thread: the child is tied to
        the spawning thread's life (PR_SET_PDEATHSIG)."""
        node = require_gateway_build()
        # The caller's NS_* variables must not leak into the gateway under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NS_")}
        env.update({"NS_HOST": "127.0.0.1", "NS_PORT": str(self.port), "NS_PUBLISH_KEYS": PUBLISH_KEY,
                    "NS_LOG_LEVEL": "warn", "NS_SHUTDOWN_GRACE_S": "1"})
        # Without JWT key material the gateway keeps protected channels closed; these tests
        # subscribe to them, so auth is off (loopback) unless a test configures a key.
        if "NS_JWT_SECRET" not in self.env and "NS_JWT_PUBLIC_KEY_FILE" not in self.env:
            env["NS_AUTH"] = "none"
        env.update(self.env)
        self.output = []
        self._listening = threading.Event()
        self.proc = subprocess.Popen([node, str(CLI), "start"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, cwd=str(REPO_ROOT),
                                     preexec_fn=_die_with_parent)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        return self

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            self.output.append(line)
            m = re.search(r"listening on http://[^\s:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._listening.set()

    def wait_ready(self, timeout: float = 20.0) -> "GatewayProcess":
        """Waits for the banner (which names the port) and then for ``GET /readyz`` = 200."""
        assert self.proc is not None, "spawn() first"
        deadline = time.monotonic() + timeout
        while not self._listening.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("gateway did not start:\n" + "".join(self.output))
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("gateway never became ready on /readyz:\n" + "".join(self.output))
            time.sleep(0.05)
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def channels(self) -> Dict[str, Dict[str, object]]:
        """``GET /v1/channels`` by name (epoch, seq, subscribers...)."""
        with urllib.request.urlopen(self.url + "/v1/channels", timeout=5) as r:
            return {c["name"]: c for c in json.loads(r.read())["channels"]}

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM), as a deploy does."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        """A crash (SIGKILL): no drain, connections cut."""
        self._end(signal.SIGKILL)

    def _end(self, sig: int) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None
