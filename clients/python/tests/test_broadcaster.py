"""GatewayBroadcaster: the seed's async interface over the shared publisher."""

import asyncio
import inspect
import unittest

import support  # noqa: F401
from support.fake_gateway import HOLD, FakeGateway, error_body
from netsentinel_gateway import BROADCAST_TYPES, GatewayBroadcaster, GatewayError, IWebSocketBroadcaster, SyncGatewayBroadcaster

KEY = "test-key-0123456789abcdef"
THREAT = {"source_ip": "192.168.1.100", "threat_score": 8.5, "threat_level": "high", "timestamp": 1764115200.1}
ALERT = {"id": "alert_123", "severity": "critical", "message": "High threat detected", "timestamp": 1764115200.2}
STATUS = {"component": "event_processor", "status": "healthy", "metrics": {"queue": 3}}
METRICS = {"component": "event_processor", "metrics": {"events_per_s": 120.5}, "timestamp": 1764115200.3}


class GatewayBroadcasterTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.gateway = FakeGateway()
        self.addCleanup(self.gateway.close)
        self.broadcaster = GatewayBroadcaster(self.gateway.url, KEY, backoff=0.001)
        self.addAsyncCleanup(self.broadcaster.close)

    async def test_implements_the_seeds_interface_with_coroutines(self):
        self.assertIsInstance(self.broadcaster, IWebSocketBroadcaster)
        for name in ("broadcast_threat", "broadcast_alert", "broadcast_status", "broadcast_metrics", "publish", "publish_batch"):
            self.assertTrue(inspect.iscoroutinefunction(getattr(self.broadcaster, name)), name)

    async def test_each_broadcast_method_publishes_its_event_type_and_returns_the_result(self):
        payloads = {"broadcast_threat": THREAT, "broadcast_alert": ALERT, "broadcast_status": STATUS, "broadcast_metrics": METRICS}
        for method, type_ in BROADCAST_TYPES.items():
            result = await getattr(self.broadcaster, method)(payloads[method])
            request = self.gateway.requests[-1]
            self.assertEqual(request.body, {"type": type_, "id": result["id"], "data": payloads[method]})
            self.assertEqual(result["channel"], {"threat.new": "threats", "alert.new": "alerts", "status.update": "status", "metrics.update": "metrics"}[type_])

    async def test_a_caller_supplied_id_is_sent_as_is(self):
        result = await self.broadcaster.broadcast_alert(ALERT, id="alert_123")
        self.assertEqual(result["id"], "alert_123")
        self.assertEqual(self.gateway.requests[0].ids, ["alert_123"])

    async def test_publish_and_publish_batch_take_any_event_type(self):
        one = await self.broadcaster.publish("system.notice", {"level": "info", "message": "up", "timestamp": 1.0})
        many = await self.broadcaster.publish_batch([
            {"type": "event.raw", "data": {"logtype": 4002, "src_host": "10.0.0.5", "dst_host": "10.0.0.1", "dst_port": 22, "timestamp": 1.0}},
            {"type": "threat.new", "data": THREAT},
        ])
        self.assertEqual(one["channel"], "system")
        self.assertEqual([r["channel"] for r in many], ["events", "threats"])

    async def test_retries_a_503_with_the_same_id(self):
        self.gateway.reply((503, error_body("unavailable", "draining"), {}))
        result = await self.broadcaster.broadcast_threat(THREAT)
        self.assertEqual([r.ids for r in self.gateway.requests], [[result["id"]], [result["id"]]])

    async def test_a_rejected_event_raises_gateway_error_with_the_issues(self):
        issue = {"path": "data.severity", "code": "invalid_value", "message": "Invalid option"}
        self.gateway.reply((400, error_body("invalid_message", "data.severity: Invalid option", [issue]), {}))
        with self.assertRaises(GatewayError) as ctx:
            await self.broadcaster.broadcast_alert(dict(ALERT, severity="severe"))
        self.assertEqual((ctx.exception.status, ctx.exception.code, ctx.exception.paths), (400, "invalid_message", ["data.severity"]))

    async def test_the_event_loop_keeps_running_while_a_request_is_in_flight(self):
        self.gateway.reply(HOLD)
        task = asyncio.ensure_future(self.broadcaster.broadcast_threat(THREAT))
        # This coroutine runs (and waits for the gateway to hold the request) while the publish is
        # pending: the request is not made on the loop's thread.
        await asyncio.get_running_loop().run_in_executor(None, self.gateway.held.wait)
        self.assertFalse(task.done())
        self.gateway.release.set()
        self.assertEqual((await task)["seq"], 1)

    async def test_concurrent_broadcasts_get_distinct_ids_and_seqs(self):
        results = await asyncio.gather(*(self.broadcaster.broadcast_threat(THREAT) for _ in range(20)))
        self.assertEqual(len({r["id"] for r in results}), 20)
        self.assertEqual(sorted(r["seq"] for r in results), list(range(1, 21)))

    async def test_nan_raises_value_error_before_anything_is_sent(self):
        with self.assertRaises(ValueError):
            await self.broadcaster.broadcast_metrics(dict(METRICS, metrics={"p99_ms": float("inf")}))
        self.assertEqual(self.gateway.requests, [])

    async def test_validate_option_rejects_locally_with_the_same_error_shape(self):
        checked = GatewayBroadcaster(self.gateway.url, KEY, validate=True)
        self.addAsyncCleanup(checked.close)
        with self.assertRaises(GatewayError) as ctx:
            await checked.broadcast_threat(dict(THREAT, source_ip="999.1.1.1"))
        self.assertEqual((ctx.exception.status, ctx.exception.code, ctx.exception.paths), (None, "invalid_message", ["data.source_ip"]))
        self.assertEqual(self.gateway.requests, [])
        await checked.broadcast_threat(THREAT)
        self.assertEqual(len(self.gateway.requests), 1)

    async def test_close_waits_for_calls_in_progress_then_refuses_new_ones(self):
        self.gateway.reply(HOLD)
        task = asyncio.ensure_future(self.broadcaster.broadcast_threat(THREAT))
        await asyncio.get_running_loop().run_in_executor(None, self.gateway.held.wait)
        closing = asyncio.ensure_future(self.broadcaster.close())
        await asyncio.sleep(0)
        with self.assertRaises(GatewayError) as ctx:
            await self.broadcaster.broadcast_threat(THREAT)
        self.assertEqual(ctx.exception.code, "closed")
        self.gateway.release.set()
        await closing
        self.assertTrue(task.done())
        self.assertEqual((await task)["seq"], 1)

    async def test_works_as_an_async_context_manager(self):
        async with GatewayBroadcaster(self.gateway.url, KEY) as b:
            await b.broadcast_status(STATUS)
        with self.assertRaises(GatewayError):
            await b.broadcast_status(STATUS)


class SyncGatewayBroadcasterTest(unittest.TestCase):
    def setUp(self):
        self.gateway = FakeGateway()
        self.addCleanup(self.gateway.close)

    def test_has_the_same_methods_as_the_async_broadcaster_returning_results_directly(self):
        with SyncGatewayBroadcaster(self.gateway.url, KEY) as b:
            self.assertEqual(b.broadcast_threat(THREAT)["channel"], "threats")
            self.assertEqual(b.broadcast_alert(ALERT)["channel"], "alerts")
            self.assertEqual(b.broadcast_status(STATUS)["channel"], "status")
            self.assertEqual(b.broadcast_metrics(METRICS)["channel"], "metrics")
            self.assertEqual(b.publish("threat.new", THREAT, id="t-1")["id"], "t-1")
            self.assertEqual(len(b.publish_batch([{"type": "threat.new", "data": THREAT}] * 3)), 3)
        for name in ("broadcast_threat", "broadcast_alert", "broadcast_status", "broadcast_metrics", "publish", "publish_batch"):
            self.assertTrue(hasattr(GatewayBroadcaster, name))

    def test_validate_option_checks_events_before_sending(self):
        b = SyncGatewayBroadcaster(self.gateway.url, KEY, validate=True)
        with self.assertRaises(GatewayError):
            b.publish("threat.new", dict(THREAT, threat_level="severe"))
        self.assertEqual(self.gateway.requests, [])


if __name__ == "__main__":
    unittest.main()
