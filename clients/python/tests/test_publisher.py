"""HttpPublisher against a real stdlib HTTP server: request shape, retries, errors."""

import socket
import threading
import unittest

import support  # noqa: F401
from support.fake_gateway import DROP, SLOW, FakeGateway, error_body
from netsentinel_gateway import GatewayError, SyncGatewayBroadcaster
from netsentinel_gateway.publisher import HttpPublisher, publish_endpoint

KEY = "test-key-0123456789abcdef"
THREAT = {"source_ip": "192.168.1.100", "threat_score": 8.5, "threat_level": "high", "timestamp": 1764115200.1}
BAD_IP = {
    "code": "invalid_message",
    "message": "data.source_ip: expected an IPv4 or IPv6 address",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PublisherTestCase(unittest.TestCase):
    def setUp(self):
        self.gateway = FakeGateway()
        self.addCleanup(self.gateway.close)
        self.sleeps = []

    def client(self, **options):
        options.setdefault("backoff", 0.001)
        options.setdefault("sleep", self.sleeps.append)
        publisher = HttpPublisher(self.gateway.url, options.pop("api_key", KEY), **options)
        return SyncGatewayBroadcaster(self.gateway.url, publisher=publisher)


class RequestShapeTest(PublisherTestCase):
    def test_posts_one_event_as_json_with_the_api_key_and_returns_the_gateways_result(self):
        result = self.client().broadcast_threat(THREAT)
        (req,) = self.gateway.requests
        self.assertEqual(req.path, "/v1/publish")
        self.assertEqual(req.headers["authorization"], "Bearer " + KEY)
        self.assertEqual(req.headers["content-type"], "application/json")
        self.assertRegex(req.headers["user-agent"], r"^netsentinel-gateway-python/")
        self.assertEqual(req.body, {"type": "threat.new", "id": result["id"], "data": THREAT})
        self.assertEqual(result, {"id": req.body["id"], "channel": "threats", "seq": 1})

    def test_publish_batch_sends_one_events_body_and_returns_results_in_order(self):
        results = self.client().publish_batch([
            {"type": "threat.new", "data": THREAT},
            {"type": "status.update", "id": "st_1", "data": {"component": "event_processor", "status": "healthy"}},
        ])
        (req,) = self.gateway.requests
        self.assertEqual([e["type"] for e in req.body["events"]], ["threat.new", "status.update"])
        self.assertEqual([r["id"] for r in results], req.ids)
        self.assertEqual(results[1], {"id": "st_1", "channel": "status", "seq": 1})

    def test_sends_no_authorization_header_without_a_key(self):
        self.client(api_key=None).broadcast_status({"component": "c", "status": "healthy"})
        self.assertNotIn("authorization", self.gateway.requests[0].headers)

    def test_accepts_a_base_url_with_or_without_the_publish_path(self):
        self.assertEqual(publish_endpoint("http://gw:8080/"), "http://gw:8080/v1/publish")
        self.assertEqual(publish_endpoint("https://gw/v1/publish"), "https://gw/v1/publish")
        with self.assertRaises(ValueError):
            publish_endpoint("gw:8080")

    def test_never_shows_the_key_in_its_repr(self):
        self.assertNotIn(KEY, repr(self.client()) + repr(self.client().publisher))

    def test_rejects_a_batch_over_1000_events_before_sending(self):
        with self.assertRaises(ValueError):
            self.client().publish_batch([{"type": "threat.new", "data": THREAT}] * 1001)
        self.assertEqual(self.gateway.requests, [])


class RetryTest(PublisherTestCase):
    def test_retries_a_503_then_succeeds_with_the_same_id(self):
        self.gateway.reply((503, error_body("unavailable", "engine redis is not connected"), {}))
        result = self.client().broadcast_threat(THREAT)
        first, second = self.gateway.requests
        self.assertEqual(first.raw, second.raw)
        self.assertEqual(first.ids, [result["id"]])
        self.assertEqual(len(self.sleeps), 1)

    def test_retries_a_dropped_connection_with_the_same_ids(self):
        self.gateway.reply(DROP, DROP)
        results = self.client().publish_batch([{"type": "threat.new", "data": THREAT}] * 3)
        self.assertEqual(len(self.gateway.requests), 3)
        self.assertEqual({tuple(r.ids) for r in self.gateway.requests}, {tuple(r["id"] for r in results)})

    def test_a_timed_out_attempt_is_repeated_with_the_same_id_and_is_not_delivered_twice(self):
        # The first attempt is accepted but answered too late (a lost response); the repeat carries
        # the same id, so the gateway answers it with the first result.
        self.gateway.slow_seconds = 2.0
        self.gateway.reply(SLOW)
        result = self.client(timeout=0.2).broadcast_threat(THREAT)
        first, second = self.gateway.requests
        self.assertEqual(first.ids, second.ids)
        self.assertEqual(result["seq"], 1)
        self.assertEqual(self.gateway.seqs, {"threats": 1})

    def test_honours_retry_after_on_429(self):
        self.gateway.reply((429, error_body("rate_limited", "Rate limit exceeded"), {"Retry-After": "2"}))
        self.client().broadcast_threat(THREAT)
        self.assertEqual(len(self.gateway.requests), 2)
        self.assertEqual(self.sleeps, [2.0])

    def test_gives_up_at_once_when_retry_after_exceeds_max_retry_after(self):
        self.gateway.reply((429, error_body("rate_limited", "slow down"), {"Retry-After": "120"}))
        with self.assertRaises(GatewayError) as ctx:
            self.client(max_retry_after=60).broadcast_threat(THREAT)
        self.assertEqual((ctx.exception.status, ctx.exception.code, ctx.exception.retry_after), (429, "rate_limited", 120.0))
        self.assertEqual(self.sleeps, [])

    def test_raises_the_last_error_when_retries_run_out(self):
        self.gateway.reply(*[(503, error_body("unavailable", "draining"), {})] * 4)
        with self.assertRaises(GatewayError) as ctx:
            self.client(retries=3).broadcast_threat(THREAT)
        err = ctx.exception
        self.assertEqual((err.status, err.code, err.attempts), (503, "unavailable", 4))
        self.assertTrue(err.retryable)
        self.assertEqual(len({r.raw for r in self.gateway.requests}), 1)
        self.assertEqual(len(self.sleeps), 3)

    def test_backs_off_exponentially(self):
        self.gateway.reply(*[(503, error_body("unavailable", "x"), {})] * 3)
        self.client(backoff=1.0, max_backoff=100).broadcast_threat(THREAT)
        self.assertEqual(len(self.sleeps), 3)
        for n, slept in enumerate(self.sleeps):
            self.assertTrue(0.5 * 2 ** n <= slept <= 2 ** n, self.sleeps)

    def test_retries_a_proxys_non_json_502(self):
        self.gateway.reply((502, b"<html>Bad Gateway</html>", {}))
        self.client().broadcast_threat(THREAT)
        self.assertEqual(len(self.gateway.requests), 2)

    def test_connection_refused_is_retried_then_reported_as_connection_failed(self):
        publisher = HttpPublisher("http://127.0.0.1:%d" % free_port(), KEY, retries=2, backoff=0.001, sleep=self.sleeps.append)
        with self.assertRaises(GatewayError) as ctx:
            SyncGatewayBroadcaster("", publisher=publisher).broadcast_threat(THREAT)
        err = ctx.exception
        self.assertEqual((err.status, err.code, err.attempts), (None, "connection_failed", 3))
        self.assertIn("could not reach", str(err))

    def test_close_stops_a_call_waiting_to_retry(self):
        gate = threading.Event()
        self.gateway.reply((503, error_body("unavailable", "x"), {}))
        publisher = HttpPublisher(self.gateway.url, KEY, backoff=30, max_backoff=30)
        self.gateway.on_request = lambda _req: gate.set()
        outcome = []

        def publish():
            try:
                SyncGatewayBroadcaster("", publisher=publisher).broadcast_threat(THREAT)
            except GatewayError as err:
                outcome.append(err)

        thread = threading.Thread(target=publish)
        thread.start()
        gate.wait()
        publisher.close()
        thread.join()
        self.assertEqual(outcome[0].code, "closed")


class ErrorTest(PublisherTestCase):
    def test_a_400_raises_gateway_error_with_code_and_issues_without_retrying(self):
        issue = {"path": "data.source_ip", "code": "invalid_union", "message": "expected an IPv4 or IPv6 address"}
        self.gateway.reply((400, error_body(BAD_IP["code"], BAD_IP["message"], [issue]), {}))
        with self.assertRaises(GatewayError) as ctx:
            self.client().broadcast_threat(dict(THREAT, source_ip="1.2.3.x"))
        err = ctx.exception
        self.assertEqual((err.status, err.code, err.message), (400, "invalid_message", BAD_IP["message"]))
        self.assertEqual(err.issues, [issue])
        self.assertEqual(err.paths, ["data.source_ip"])
        self.assertFalse(err.retryable)
        self.assertEqual(len(self.gateway.requests), 1)
        self.assertEqual(str(err), "invalid_message (HTTP 400): " + BAD_IP["message"])

    def test_a_401_is_not_retried(self):
        self.gateway.reply((401, error_body("unauthorized", "invalid API key or token"), {}))
        with self.assertRaises(GatewayError) as ctx:
            self.client().broadcast_threat(THREAT)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "unauthorized"))
        self.assertEqual(len(self.gateway.requests), 1)

    def test_an_unexpected_success_body_is_reported(self):
        self.gateway.reply((202, {"ok": True}, {}))
        with self.assertRaises(GatewayError) as ctx:
            self.client().broadcast_threat(THREAT)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (202, "invalid_response"))

    def test_nan_is_rejected_locally_and_nothing_is_sent(self):
        with self.assertRaises(ValueError) as ctx:
            self.client().broadcast_threat(dict(THREAT, threat_score=float("nan")))
        self.assertIn("data.threat_score", str(ctx.exception))
        self.assertEqual(self.gateway.requests, [])

    def test_closed_broadcaster_refuses_calls(self):
        client = self.client()
        client.close()
        with self.assertRaises(GatewayError) as ctx:
            client.broadcast_threat(THREAT)
        self.assertEqual(ctx.exception.code, "closed")


if __name__ == "__main__":
    unittest.main()
