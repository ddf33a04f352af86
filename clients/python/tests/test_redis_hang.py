"""Redis hangs (SIGSTOP, not killed) while the client publishes: the gateway answers 503 with
``outcome: "unknown"``, the client retries with the ids it fixed before the first attempt, and after
SIGCONT the event is delivered exactly once (the retry is answered ``duplicate: true``).

Runs a private ``redis-server`` on a free loopback port (never the one on 6379) and the real gateway
on the Redis engine.
"""

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import support  # noqa: F401
from support.gateway_process import PUBLISH_KEY, GatewayProcess
from support.subscriber import Subscriber
from netsentinel_gateway import GatewayError, SyncGatewayBroadcaster

REDIS_SERVER = os.environ.get("NS_REDIS_SERVER_BIN") or ("/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else shutil.which("redis-server"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """``redis-server`` on a free loopback port, no persistence, in a temp dir."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ns-redis-py-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 15
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if "Ready to accept connections" in line:
                break
            if time.monotonic() > deadline:
                break
        if self.proc.poll() is not None:
            raise RuntimeError("redis-server did not start on port %d" % self.port)
        # Keep draining its output so it never blocks on a full pipe.
        self._drain = threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True)  # type: ignore[union-attr]
        self._drain.start()
        self.stopped = False

    @property
    def url(self) -> str:
        return "redis://127.0.0.1:%d" % self.port

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)
        self.stopped = False

    def close(self) -> None:
        if self.stopped:
            self.resume()
        self.proc.kill()
        self.proc.wait()
        self._drain.join(5)
        self.proc.stdout.close()  # type: ignore[union-attr]
        shutil.rmtree(self.dir, ignore_errors=True)


class UnknownOutcomeWatcher(logging.Handler):
    """Records the errors the client logs before each retry; ``unknown`` is set on a 503 whose
    outcome the gateway could not know."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors = []
        self.unknown = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        err = next((a for a in record.args or () if isinstance(a, GatewayError)), None) if isinstance(record.args, tuple) else None
        if err is None:
            return
        self.errors.append(err)
        if err.status == 503 and (err.details or {}).get("outcome") == "unknown":
            self.unknown.set()


@unittest.skipUnless(REDIS_SERVER or os.environ.get("CI") == "true", "redis-server not installed (Debian package redis-server)")
class RedisHangTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.redis = RedisServer()
        self.addCleanup(self.redis.close)
        self.gateway = GatewayProcess(env={"NS_ENGINE": "redis", "NS_REDIS_URL": self.redis.url, "NS_REDIS_PREFIX": "py-hang-%d:" % os.getpid()}).start()
        self.addCleanup(self.gateway.kill)

    async def asyncSetUp(self):
        self.watcher = UnknownOutcomeWatcher()
        logger = logging.getLogger("netsentinel_gateway")
        logger.addHandler(self.watcher)
        self.addCleanup(logger.removeHandler, self.watcher)
        self.subscriber = await Subscriber(self.gateway.ws_url, ["alerts"]).start()
        self.addAsyncCleanup(self.subscriber.close)
        self.client = SyncGatewayBroadcaster(self.gateway.url, PUBLISH_KEY, timeout=10, retries=40, backoff=0.05, max_backoff=0.3)

    async def in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def test_a_publish_caught_by_a_hung_redis_is_retried_with_its_id_and_delivered_once(self):
        alert = {"id": "alert_42", "severity": "critical", "message": "High threat detected", "timestamp": 1764115200.0}
        warm = await self.in_thread(self.client.publish, "alert.new", dict(alert, id="warm-up"))
        self.assertEqual(warm["seq"], 1)

        self.redis.stop()
        publishing = asyncio.ensure_future(self.in_thread(self.client.publish, "alert.new", alert))
        # The first attempt reached Redis before the gateway noticed the hang: 503, outcome unknown.
        self.assertTrue(await self.in_thread(self.watcher.unknown.wait, 20), "no 503 with outcome unknown: %r" % self.watcher.errors)
        unknown = next(e for e in self.watcher.errors if (e.details or {}).get("outcome") == "unknown")
        self.assertEqual(unknown.code, "unavailable")
        self.assertFalse(publishing.done())  # still retrying, with the same id
        self.redis.resume()

        result = await asyncio.wait_for(publishing, 30)
        # Redis ran the first attempt's script once it resumed; the retry found it.
        self.assertEqual(unknown.details["ids"], [result["id"]])
        self.assertEqual(result, {"id": result["id"], "channel": "alerts", "seq": 2, "duplicate": True})
        marker = await self.in_thread(self.client.publish, "alert.new", dict(alert, id="marker"))
        await self.subscriber.wait_until(lambda: any(e["id"] == marker["id"] for e in self.subscriber.events), what="the marker")
        self.assertEqual([e["id"] for e in self.subscriber.events], [warm["id"], result["id"], marker["id"]])


if __name__ == "__main__":
    unittest.main()
