"""A gateway restart in the middle of publishing loses nothing and duplicates nothing.

The memory engine restarts empty (new epoch, no idempotency memory), so exactly-once here comes from
the client: ids fixed before the first attempt, batches held and retried until the gateway is back,
and a subscriber that resumes with ``since`` (the new gateway replays what it holds).
"""

import asyncio
import logging
import threading
import unittest

import support  # noqa: F401
from support.gateway_process import PUBLISH_KEY, GatewayProcess
from support.subscriber import Subscriber
from netsentinel_gateway import BufferedBroadcaster


def threat(n):
    return {"source_ip": "10.1.%d.%d" % (n // 250, n % 250 + 1), "threat_score": 7.5, "threat_level": "high", "timestamp": 1764115200.0 + n}


class RetryWatcher(logging.Handler):
    """Sets ``pending`` once the client logs that it will retry (it is then holding events)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.pending = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.pending.set()


class GatewayRestartTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        self.first = GatewayProcess().start()
        self.addCleanup(self.first.kill)

    async def asyncSetUp(self):
        self.watcher = RetryWatcher()
        logger = logging.getLogger("netsentinel_gateway")
        logger.addHandler(self.watcher)
        self.addCleanup(logger.removeHandler, self.watcher)
        self.subscriber = await Subscriber(self.first.ws_url, ["threats"]).start()
        self.addAsyncCleanup(self.subscriber.close)
        self.buffer = BufferedBroadcaster(self.first.url, PUBLISH_KEY, max_batch=50, flush_interval=0.005,
                                          retries=3, backoff=0.02, max_backoff=0.1)
        self.addCleanup(self.buffer.close, 5)

    async def in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def test_a_crash_while_retries_are_pending_loses_nothing_and_duplicates_nothing(self):
        before = [self.buffer.broadcast_threat(threat(n)) for n in range(120)]
        self.assertTrue(await self.in_thread(self.buffer.flush, 30))
        await self.subscriber.wait_for_events(120)

        port = self.first.port
        self.first.kill()  # SIGKILL: no drain
        during = [self.buffer.broadcast_threat(threat(n)) for n in range(120, 240)]
        self.assertTrue(await self.in_thread(self.watcher.pending.wait, 30), "the client never retried")
        self.assertGreater(self.buffer.pending, 0)

        second = GatewayProcess(port=port).spawn()
        self.addCleanup(second.kill)
        await self.in_thread(second.wait_ready)
        self.assertTrue(await self.in_thread(self.buffer.flush, 30))
        await self.subscriber.wait_for_events(240)

        sent = [p.id for p in before + during]
        self.assertEqual([e["id"] for e in self.subscriber.events], sent)  # every event, once, in order
        results = [p.result() for p in before + during]
        self.assertEqual([r["seq"] for r in results], list(range(1, 121)) + list(range(1, 121)))
        self.assertEqual([e["seq"] for e in self.subscriber.events], [r["seq"] for r in results])
        epochs = [e["epoch"] for e in self.subscriber.events]
        self.assertEqual(len(set(epochs[:120])), 1)
        self.assertEqual(len(set(epochs[120:])), 1)
        self.assertNotEqual(epochs[0], epochs[-1])
        resumed = self.subscriber.tail.subscriptions[-1]
        self.assertFalse(resumed["recovered"])  # the new gateway's history started empty ...
        self.assertGreaterEqual(self.subscriber.tail.connections, 2)

    async def test_a_graceful_restart_in_the_middle_of_a_burst_loses_nothing_and_duplicates_nothing(self):
        before = [self.buffer.broadcast_threat(threat(n)) for n in range(100)]
        port = self.first.port
        stopping = asyncio.ensure_future(self.in_thread(self.first.stop))  # SIGTERM: drain, 503s, exit
        during = [self.buffer.broadcast_threat(threat(n)) for n in range(100, 300)]
        await stopping
        after = [self.buffer.broadcast_threat(threat(n)) for n in range(300, 350)]
        second = GatewayProcess(port=port).spawn()
        self.addCleanup(second.kill)
        await self.in_thread(second.wait_ready)
        self.assertTrue(await self.in_thread(self.buffer.flush, 30))
        await self.subscriber.wait_for_events(350)

        sent = [p.id for p in before + during + after]
        self.assertEqual([e["id"] for e in self.subscriber.events], sent)
        self.assertTrue(all(p.exception() is None for p in before + during + after))


if __name__ == "__main__":
    unittest.main()
