"""BufferedBroadcaster: batching bounded by count, bytes and time; bounded memory; nothing lost
silently."""

import json
import socket
import threading
import unittest

import support  # noqa: F401
from support.fake_gateway import HOLD, FakeGateway, error_body
from netsentinel_gateway import BufferedBroadcaster, BufferFullError, GatewayError

KEY = "test-key-0123456789abcdef"


def threat(n):
    return {"source_ip": "10.0.0.%d" % (n % 250 + 1), "threat_score": 6.0, "threat_level": "medium", "timestamp": 1764115200.0 + n}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BufferTestCase(unittest.TestCase):
    def setUp(self):
        self.gateway = FakeGateway()
        self.addCleanup(self.gateway.close)

    def buffer(self, **options):
        options.setdefault("flush_interval", 60.0)  # batches leave by size or flush() unless a test says otherwise
        options.setdefault("backoff", 0.001)
        options.setdefault("max_backoff", 0.005)
        b = BufferedBroadcaster(options.pop("url", self.gateway.url), KEY, **options)
        self.addCleanup(self._close_quietly, b)
        self.addCleanup(self.gateway.release.set)  # runs first: let a held request finish
        return b

    @staticmethod
    def _close_quietly(b):
        try:
            b.close(timeout=1)
        except GatewayError:
            pass

    def sent_ids(self):
        return [i for r in self.gateway.requests for i in r.ids]


class BatchingTest(BufferTestCase):
    def test_a_burst_leaves_in_batches_of_max_batch_in_order(self):
        b = self.buffer(max_batch=10)
        pending = [b.broadcast_threat(threat(n)) for n in range(25)]
        self.assertTrue(b.flush(timeout=10))
        self.assertEqual([len(r.events) for r in self.gateway.requests], [10, 10, 5])
        self.assertTrue(all("events" in r.body for r in self.gateway.requests))
        self.assertEqual(self.sent_ids(), [p.id for p in pending])
        self.assertEqual([p.result()["seq"] for p in pending], list(range(1, 26)))

    def test_a_partial_batch_leaves_after_flush_interval_without_a_flush_call(self):
        b = self.buffer(flush_interval=0.02)
        pending = [b.broadcast_alert({"id": "a%d" % n, "severity": "high", "message": "m", "timestamp": 1.0}) for n in range(3)]
        self.assertEqual([p.result(timeout=10)["channel"] for p in pending], ["alerts"] * 3)
        self.assertEqual([len(r.events) for r in self.gateway.requests], [3])

    def test_batches_stay_under_max_batch_bytes(self):
        one = len(json.dumps({"type": "threat.new", "id": "evt_" + "0" * 32, "data": threat(1)}, separators=(",", ":")))
        b = self.buffer(max_batch_bytes=13 + 3 * (one + 1))
        for n in range(7):
            b.broadcast_threat(threat(n))
        b.flush(timeout=10)
        self.assertEqual([len(r.events) for r in self.gateway.requests], [3, 3, 1])
        self.assertTrue(all(len(r.raw) <= 13 + 3 * (one + 1) for r in self.gateway.requests))

    def test_every_method_maps_to_its_type_and_futures_carry_the_id_at_once(self):
        b = self.buffer()
        p = b.broadcast_status({"component": "c", "status": "healthy"}, id="st-1")
        q = b.broadcast_metrics({"component": "c", "metrics": {"x": 1}, "timestamp": 1.0})
        r = b.publish("system.notice", {"level": "info", "message": "m", "timestamp": 1.0})
        self.assertEqual(p.id, "st-1")
        self.assertRegex(q.id, r"^evt_")
        b.flush()
        self.assertEqual([e["type"] for e in self.gateway.requests[0].events], ["status.update", "metrics.update", "system.notice"])
        self.assertEqual(r.result()["channel"], "system")

    def test_rejects_a_max_batch_over_1000(self):
        with self.assertRaises(ValueError):
            BufferedBroadcaster(self.gateway.url, KEY, max_batch=1001)

    def test_nan_raises_at_the_call_and_nothing_is_buffered(self):
        b = self.buffer()
        with self.assertRaises(ValueError):
            b.broadcast_threat(dict(threat(1), threat_score=float("nan")))
        self.assertEqual(b.pending, 0)


class BoundsTest(BufferTestCase):
    def test_raises_buffer_full_when_max_buffered_events_are_unacknowledged(self):
        self.gateway.reply(HOLD)
        b = self.buffer(max_buffered=4, max_batch=2)
        first = [b.broadcast_threat(threat(n)) for n in range(2)]
        b_flush = threading.Thread(target=b.flush)
        b_flush.start()
        self.gateway.held.wait()  # the first batch is in flight and still counts
        more = [b.broadcast_threat(threat(n)) for n in range(2, 4)]
        with self.assertRaises(BufferFullError) as ctx:
            b.broadcast_threat(threat(4))
        self.assertEqual((ctx.exception.status, ctx.exception.code), (None, "buffer_full"))
        self.assertIsInstance(ctx.exception, GatewayError)
        self.gateway.release.set()
        b_flush.join()
        b.flush()
        self.assertEqual(len(self.sent_ids()), 4)
        self.assertTrue(all(p.done() for p in first + more))
        b.broadcast_threat(threat(5))  # room again

    def test_block_policy_waits_for_room_then_gives_up_after_block_timeout(self):
        self.gateway.reply(HOLD)
        b = self.buffer(max_buffered=1, when_full="block", block_timeout=0.05, flush_interval=0)
        b.broadcast_threat(threat(0))
        self.gateway.held.wait()
        with self.assertRaises(BufferFullError):
            b.broadcast_threat(threat(1))

    def test_block_policy_adds_the_event_once_room_frees_up(self):
        self.gateway.reply(HOLD)
        b = self.buffer(max_buffered=1, when_full="block", flush_interval=0)
        b.broadcast_threat(threat(0))
        self.gateway.held.wait()
        threading.Timer(0.01, self.gateway.release.set).start()
        p = b.broadcast_threat(threat(1))  # blocks until the held batch is acknowledged
        b.flush()
        self.assertEqual(p.result()["seq"], 2)


class FailureTest(BufferTestCase):
    def test_a_rejected_event_fails_alone_and_the_rest_of_its_batch_is_resent_with_the_same_ids(self):
        issue = {"index": 1, "path": "events[1].data.source_ip", "code": "invalid_union", "message": "expected an IPv4 or IPv6 address"}
        self.gateway.reply((400, error_body("invalid_message", "events[1].data.source_ip: expected an IPv4 or IPv6 address", [issue]), {}))
        errors = []
        b = self.buffer(on_error=lambda err, ids: errors.append((err, ids)))
        pending = [b.broadcast_threat(threat(n)) for n in range(3)]
        with self.assertLogs("netsentinel_gateway", "ERROR"):
            b.flush()
        first, second = self.gateway.requests
        self.assertEqual(first.ids, [p.id for p in pending])
        self.assertEqual(second.ids, [pending[0].id, pending[2].id])
        err = pending[1].exception()
        self.assertEqual((err.status, err.code, err.paths), (400, "invalid_message", ["data.source_ip"]))
        self.assertEqual([p.result()["seq"] for p in (pending[0], pending[2])], [1, 2])
        self.assertEqual([ids for _, ids in errors], [[pending[1].id]])

    def test_a_too_large_batch_is_split(self):
        self.gateway.reply((413, error_body("message_too_large", "Request body is too large"), {}))
        b = self.buffer()
        pending = [b.broadcast_threat(threat(n)) for n in range(4)]
        b.flush()
        self.assertEqual([len(r.events) for r in self.gateway.requests], [4, 2, 2])
        self.assertEqual(self.sent_ids()[4:], [p.id for p in pending])
        self.assertTrue(all(p.result() for p in pending))

    def test_an_auth_error_fails_the_whole_batch_and_is_logged(self):
        self.gateway.reply((401, error_body("unauthorized", "invalid API key or token"), {}))
        b = self.buffer()
        pending = [b.broadcast_threat(threat(n)) for n in range(2)]
        with self.assertLogs("netsentinel_gateway", "ERROR") as logs:
            b.flush()
        self.assertEqual([p.exception().code for p in pending], ["unauthorized"] * 2)
        self.assertIn(pending[0].id, logs.output[0])

    def test_keeps_a_batch_while_the_gateway_is_unavailable_and_delivers_it_once_it_is_back(self):
        self.gateway.reply(*[(503, error_body("unavailable", "engine down"), {})] * 7)
        b = self.buffer(retries=2)
        pending = [b.broadcast_threat(threat(n)) for n in range(3)]
        b.flush()
        self.assertEqual(len(self.gateway.requests), 8)
        self.assertEqual({tuple(r.ids) for r in self.gateway.requests}, {tuple(p.id for p in pending)})
        self.assertEqual([p.result()["seq"] for p in pending], [1, 2, 3])


class CloseTest(BufferTestCase):
    def test_close_sends_everything_buffered(self):
        b = self.buffer()
        pending = [b.broadcast_threat(threat(n)) for n in range(5)]
        b.close()
        self.assertEqual(self.sent_ids(), [p.id for p in pending])
        with self.assertRaises(GatewayError) as ctx:
            b.broadcast_threat(threat(9))
        self.assertEqual(ctx.exception.code, "closed")

    def test_close_gives_up_on_an_unreachable_gateway_after_its_timeout_and_says_how_many_were_lost(self):
        b = self.buffer(url="http://127.0.0.1:%d" % free_port(), retries=0)
        pending = [b.broadcast_threat(threat(n)) for n in range(3)]
        with self.assertLogs("netsentinel_gateway", "WARNING"):
            with self.assertRaises(GatewayError) as ctx:
                b.close(timeout=0.1)
        self.assertEqual(ctx.exception.code, "closed")
        self.assertIn("3 events not delivered", ctx.exception.message)
        self.assertEqual([p.exception().code for p in pending], ["closed"] * 3)

    def test_the_context_manager_closes(self):
        with BufferedBroadcaster(self.gateway.url, KEY, flush_interval=60) as b:
            p = b.broadcast_threat(threat(1))
        self.assertEqual(p.result(timeout=0)["seq"], 1)


if __name__ == "__main__":
    unittest.main()
