"""The client against the real gateway process (apps/gateway/dist/cli.js): publish over HTTP,
receive with a Python websockets subscriber, validate what arrives against the repository's schemas/.

Needs the built gateway (`npm run build`); fails with that instruction when it is missing.
"""

import asyncio
import json
import subprocess
import sys
import unittest

import support
from support.gateway_process import PUBLISH_KEY, GatewayProcess
from support.relay import ResponseDroppingRelay
from support.subscriber import Subscriber
from jsonschema import Draft202012Validator
from netsentinel_gateway import (
    BufferedBroadcaster,
    GatewayBroadcaster,
    GatewayError,
    SyncGatewayBroadcaster,
    new_event_id,
    validate,
    validation_issues,
)

SCHEMAS = support.REPO_ROOT / "schemas"
ALL_CHANNELS = ["threats", "alerts", "status", "metrics", "events", "correlations", "system"]
gateway = GatewayProcess()


def setUpModule():
    gateway.start()


def tearDownModule():
    gateway.stop()


def threat(n=0, **over):
    return dict({"source_ip": "192.168.1.%d" % (n % 250 + 1), "threat_score": 8.5, "threat_level": "high", "timestamp": 1764115200.0 + n}, **over)


_validators = {}


def schema_errors(envelope):
    """Errors of a delivered event against schemas/envelope.json and schemas/events/<type>.json."""
    errors = []
    for rel in ("envelope.json", "events/%s.json" % envelope["type"]):
        if rel not in _validators:
            schema = json.loads((SCHEMAS / rel).read_text(encoding="utf-8"))
            _validators[rel] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors += ["%s: %s at %s" % (rel, e.message, list(e.absolute_path)) for e in _validators[rel].iter_errors(envelope)]
    return errors


def load_examples(kind):
    out = {}
    for path in sorted((SCHEMAS / "examples").glob("*.%s.json" % kind)):
        out[path.name.split(".%s." % kind)[0]] = json.loads(path.read_text(encoding="utf-8"))
    return out


class AsyncGatewayTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.broadcaster = GatewayBroadcaster(gateway.url, PUBLISH_KEY, backoff=0.05)
        self.addAsyncCleanup(self.broadcaster.close)

    async def subscribe(self, channels, url=None, **options):
        sub = await Subscriber(url or gateway.ws_url, channels, **options).start()
        self.addAsyncCleanup(sub.close)
        return sub

    async def events_with_ids(self, sub, ids):
        await sub.wait_until(lambda: set(ids) <= {e["id"] for e in sub.events}, what="events %s" % ids)
        return [e for e in sub.events if e["id"] in ids]


class PublishAndReceiveTest(AsyncGatewayTestCase):
    async def test_each_broadcast_reaches_a_websocket_subscriber_as_a_schema_valid_envelope(self):
        sub = await self.subscribe(["threats", "alerts", "status", "metrics"])
        results = [
            await self.broadcaster.broadcast_threat(threat()),
            await self.broadcaster.broadcast_alert({"id": "alert_it1", "severity": "critical", "message": "High threat detected", "timestamp": 1764115200.2}),
            await self.broadcaster.broadcast_status({"component": "py-it-status", "status": "healthy", "metrics": {"queue": 3, "ok": True}}),
            await self.broadcaster.broadcast_metrics({"component": "py-it-metrics", "metrics": {"events_per_s": 120.5}, "timestamp": 1764115200.3}),
        ]
        received = {e["id"]: e for e in await self.events_with_ids(sub, [r["id"] for r in results])}
        for result, type_ in zip(results, ["threat.new", "alert.new", "status.update", "metrics.update"]):
            event = received[result["id"]]
            self.assertEqual((event["type"], event["channel"], event["seq"]), (type_, result["channel"], result["seq"]))
            self.assertEqual(schema_errors(event), [])

    async def test_every_event_type_published_in_one_batch_arrives_valid_and_in_request_order(self):
        sub = await self.subscribe(ALL_CHANNELS)
        examples = load_examples("valid")
        self.assertEqual(len(examples), 11)
        events = [{"type": e["type"], "data": e["data"], "id": new_event_id()} for e in examples.values()]
        results = await self.broadcaster.publish_batch(events)
        self.assertEqual([r["id"] for r in results], [e["id"] for e in events])
        received = {e["id"]: e for e in await self.events_with_ids(sub, [e["id"] for e in events])}
        for sent, result in zip(events, results):
            event = received[sent["id"]]
            self.assertEqual((event["type"], event["seq"], event["data"]), (sent["type"], result["seq"], sent["data"]))
            self.assertEqual(schema_errors(event), [], sent["type"])

    async def test_subscriber_filters_apply_to_published_events(self):
        sub = await self.subscribe(["threats"], filters={"threats": {"min_score": 7}})
        low = await self.broadcaster.broadcast_threat(threat(threat_score=2.0, threat_level="low"))
        high = await self.broadcaster.broadcast_threat(threat(threat_score=9.0))
        await self.events_with_ids(sub, [high["id"]])
        self.assertNotIn(low["id"], [e["id"] for e in sub.events])

    async def test_a_repeated_id_returns_the_first_result_and_is_delivered_once(self):
        sub = await self.subscribe(["threats"])
        event_id = new_event_id()
        first = await self.broadcaster.broadcast_threat(threat(), id=event_id)
        again = await self.broadcaster.broadcast_threat(threat(), id=event_id)
        marker = await self.broadcaster.broadcast_threat(threat(1))
        self.assertEqual(again, dict(first, duplicate=True))  # the original result, marked a repeat
        await self.events_with_ids(sub, [marker["id"]])
        self.assertEqual([e["id"] for e in sub.events].count(event_id), 1)
        self.assertEqual(marker["seq"], first["seq"] + 1)

    async def test_a_lost_response_is_retried_with_the_same_id_and_delivered_once(self):
        relay = ResponseDroppingRelay(gateway.port)
        self.addCleanup(relay.close)
        sub = await self.subscribe(["threats"])
        through_relay = GatewayBroadcaster(relay.url, PUBLISH_KEY, backoff=0.01)
        self.addAsyncCleanup(through_relay.close)
        relay.drop_next(1)
        result = await through_relay.broadcast_threat(threat())
        self.assertEqual((relay.dropped, relay.forwarded), (1, 1))
        marker = await self.broadcaster.broadcast_threat(threat(1))
        await self.events_with_ids(sub, [result["id"], marker["id"]])
        delivered = [e for e in sub.events if e["id"] == result["id"]]
        self.assertEqual(len(delivered), 1)
        self.assertEqual(delivered[0]["seq"], result["seq"])
        self.assertEqual(marker["seq"], result["seq"] + 1)

    async def test_a_buffered_burst_whose_responses_are_lost_is_delivered_exactly_once(self):
        relay = ResponseDroppingRelay(gateway.port)
        self.addCleanup(relay.close)
        sub = await self.subscribe(["threats"])
        relay.drop_next(2)
        buffered = BufferedBroadcaster(relay.url, PUBLISH_KEY, max_batch=40, flush_interval=0.01, backoff=0.01)
        pending = [buffered.broadcast_threat(threat(n)) for n in range(100)]
        await asyncio.get_running_loop().run_in_executor(None, buffered.close)
        ids = [p.id for p in pending]
        await self.events_with_ids(sub, ids)
        delivered = [e["id"] for e in sub.events if e["id"] in set(ids)]
        self.assertEqual(delivered, ids)
        self.assertEqual(relay.dropped, 2)
        self.assertEqual([p.result()["seq"] for p in pending], [e["seq"] for e in sub.events if e["id"] in set(ids)])


class GatewayErrorsTest(AsyncGatewayTestCase):
    async def test_a_bad_event_raises_gateway_error_with_the_field_path_from_the_gateway(self):
        with self.assertRaises(GatewayError) as ctx:
            await self.broadcaster.broadcast_threat(threat(source_ip="1.2.3.x"))
        err = ctx.exception
        self.assertEqual((err.status, err.code, err.paths), (400, "invalid_message", ["data.source_ip"]))
        self.assertIn("data.source_ip", err.message)

    async def test_a_bad_event_in_a_batch_is_named_by_index_and_nothing_is_published(self):
        before = gateway.channels()["threats"]["seq"]
        with self.assertRaises(GatewayError) as ctx:
            await self.broadcaster.publish_batch([
                {"type": "threat.new", "data": threat()},
                {"type": "threat.new", "data": threat(threat_level="severe")},
            ])
        err = ctx.exception
        self.assertEqual((err.status, err.code, err.paths), (400, "invalid_message", ["events[1].data.threat_level"]))
        self.assertEqual(err.issues[0]["index"], 1)
        self.assertEqual(gateway.channels()["threats"]["seq"], before)

    async def test_a_wrong_api_key_is_unauthorized_and_not_retried(self):
        wrong = GatewayBroadcaster(gateway.url, "not-the-key-0123456789")
        self.addAsyncCleanup(wrong.close)
        with self.assertRaises(GatewayError) as ctx:
            await wrong.broadcast_threat(threat())
        self.assertEqual((ctx.exception.status, ctx.exception.code, ctx.exception.attempts), (401, "unauthorized", 1))

    async def test_an_unknown_type_is_rejected_by_name(self):
        with self.assertRaises(GatewayError) as ctx:
            await self.broadcaster.publish("threat.old", threat())
        self.assertEqual((ctx.exception.status, ctx.exception.code, ctx.exception.paths), (400, "unknown_type", ["type"]))
        with self.assertRaises(GatewayError) as local:
            validate({"type": "threat.old", "data": threat()})
        self.assertEqual((local.exception.code, local.exception.paths), ("unknown_type", ["type"]))


class ValidationAgreesWithGatewayTest(unittest.TestCase):
    def test_validate_and_the_gateway_reject_every_invalid_example_at_the_same_path(self):
        client = SyncGatewayBroadcaster(gateway.url, PUBLISH_KEY)
        checked = 0
        for type_, cases in load_examples("invalid").items():
            for case in cases:
                with self.subTest(type=type_, case=case["name"]):
                    event = dict(case["event"], id=new_event_id())
                    self.assertIn(case["path"], [i["path"] for i in validation_issues(event)])
                    try:
                        # Sent as written (publish() would drop the unknown top-level fields).
                        client.publisher.send(json.dumps(event, allow_nan=False).encode(), 1)
                    except ValueError:
                        self.assertIn("NaN", case["name"])  # never sent: JSON has no NaN
                        continue
                    except GatewayError as err:
                        self.assertEqual(err.status, 400)
                        self.assertIn(case["path"], err.paths)
                        checked += 1
                        continue
                    self.fail("the gateway accepted an invalid example")
        self.assertGreater(checked, 30)

    def test_validate_accepts_every_valid_example_the_gateway_accepts(self):
        client = SyncGatewayBroadcaster(gateway.url, PUBLISH_KEY, validate=True)
        for type_, example in load_examples("valid").items():
            with self.subTest(type=type_):
                result = client.publish(example["type"], example["data"])
                self.assertEqual(result["id"][:4], "evt_")


class ExamplesTest(AsyncGatewayTestCase):
    async def test_tail_cli_resumes_with_since_and_prints_events_as_json(self):
        head = gateway.channels()["threats"]
        sent = [await self.broadcaster.broadcast_threat(threat(n)) for n in range(2)]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(support.CLIENT_DIR / "examples" / "tail.py"), "threats", "--json", "--count", "2",
            "--url", gateway.ws_url, "--since", "threats=%s:%d" % (head["epoch"], head["seq"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        self.assertEqual(proc.returncode, 0, err.decode())
        printed = [json.loads(line) for line in out.decode().splitlines()]
        self.assertEqual([e["id"] for e in printed], [r["id"] for r in sent])
        self.assertEqual([e["seq"] for e in printed], [head["seq"] + 1, head["seq"] + 2])

    async def test_tail_cli_prints_a_readable_line_per_event(self):
        head = gateway.channels()["alerts"]
        await self.broadcaster.broadcast_alert({"id": "alert_cli", "severity": "high", "message": "m", "timestamp": 1764115200.0})
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(support.CLIENT_DIR / "examples" / "tail.py"), "alerts", "--count", "1",
            "--url", gateway.ws_url, "--since", "alerts=%s:%d" % (head["epoch"], head["seq"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        self.assertRegex(out.decode(), r"^\d\d:\d\d:\d\d\.\d{3} alerts#%d alert.new \{\"id\":\"alert_cli\"" % (head["seq"] + 1))


if __name__ == "__main__":
    unittest.main()
