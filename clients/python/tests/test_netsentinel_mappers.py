"""The mappers against the payload shapes NetSentinel's processor really produces
(tests/fixtures/netsentinel_payloads.json, each citing the NetSentinel file it comes from): what they
make of each, and that the result is what the gateway's schemas accept."""

import datetime
import enum
import json
import unittest

import support
from netsentinel_gateway import mappers, validation_issues
from netsentinel_gateway.mappers import MappingError

FIXTURES = json.loads((support.CLIENT_DIR / "tests" / "fixtures" / "netsentinel_payloads.json").read_text(encoding="utf-8"))


class ThreatLevel(enum.Enum):  # as core/models.py defines it
    HIGH = "high"
    CRITICAL = "critical"


class FixtureTest(unittest.TestCase):
    def assertAccepted(self, event_type, data):
        self.assertEqual(validation_issues({"type": event_type, "data": data}), [], data)

    def test_threats(self):
        for case in FIXTURES["threat.new"]:
            with self.subTest(case["from"]):
                data = mappers.threat(case["payload"])
                self.assertEqual(data, case["expected"])
                self.assertAccepted("threat.new", data)

    def test_alerts_carry_the_threats_address_and_id_when_known(self):
        for case in FIXTURES["alert.new"]:
            with self.subTest(case["from"]):
                data = mappers.alert(case["payload"], case["related_threat"])
                self.assertEqual(data, case["expected"])
                self.assertAccepted("alert.new", data)
        alone = mappers.alert(FIXTURES["alert.new"][0]["payload"])
        self.assertNotIn("source_ip", alone)
        self.assertAccepted("alert.new", alone)

    def test_an_alert_is_matched_to_the_threat_it_was_raised_for(self):
        threat, alert = FIXTURES["threat.new"][0]["payload"], FIXTURES["alert.new"][0]["payload"]
        self.assertEqual(mappers.alert_key(alert), mappers.threat_key(threat))
        other = dict(threat, threat_score=7.0)
        self.assertNotEqual(mappers.alert_key(alert), mappers.threat_key(other))
        self.assertIsNone(mappers.alert_key({"id": "a", "severity": "high", "message": "disk full", "timestamp": 1.0}))

    def test_acknowledgement(self):
        for case in FIXTURES["alert.acknowledged"]:
            with self.subTest(case["from"]):
                data = mappers.acknowledgement(case["payload"])
                self.assertEqual(data, case["expected"])
                self.assertAccepted("alert.acknowledged", data)
                self.assertEqual(mappers.acknowledgement(case["payload"]["data"]), case["expected"])  # unwrapped too

    def test_health_check_becomes_one_status_per_component(self):
        for case in FIXTURES["health_check"]:
            with self.subTest(case["from"]):
                entries = mappers.status_from_health(case["payload"])
                self.assertEqual(entries, case["expected"])
                for entry in entries:
                    self.assertAccepted("status.update", entry)
                self.assertEqual(mappers.status(case["payload"]), case["expected"])  # via the bus as well

    def test_processor_metrics_are_flattened_to_numbers(self):
        for case in FIXTURES["get_processor_metrics"]:
            with self.subTest(case["from"]):
                data = mappers.processor_metrics(case["payload"], now=1764115300.0)
                self.assertEqual(data, {"component": "event_processor", "metrics": case["expected_metrics"], "timestamp": 1764115300.0})
                self.assertAccepted("metrics.update", data)

    def test_ml_metrics_and_training_status(self):
        for case in FIXTURES["ml.model.metrics"]:
            data = mappers.metrics(case["payload"])
            self.assertEqual(data, case["expected"])
            self.assertAccepted("metrics.update", data)
        for case in FIXTURES["ml.training.status"]:
            data = mappers.training_status(case["payload"])
            self.assertEqual(data, case["expected"])
            self.assertAccepted("status.update", data)


class OtherShapesTest(unittest.TestCase):
    """Shapes that reach the manager through its own API rather than the processor's bus."""

    def test_resolution_from_standard_alerts_fields(self):  # core/models.py StandardAlert: resolved_by, resolved_at
        data = mappers.resolution({"alert_id": "a1", "resolved_by": "analyst2", "resolved_at": 1764115900.0, "note": "false positive"})
        self.assertEqual(data, {"id": "a1", "by": "analyst2", "timestamp": 1764115900.0, "note": "false positive"})
        self.assertEqual(validation_issues({"type": "alert.resolved", "data": data}), [])

    def test_one_components_status_keeps_a_word_the_contracts_do_not_know_in_state(self):
        data = mappers.status({"component": "kafka_consumer", "status": "stopped", "message": "rebalancing",
                               "metrics": {"lag": 12, "topic": "netsentinel-events", "connected": False, "bad": float("nan")}})
        self.assertEqual(data, [{"component": "kafka_consumer", "status": "unhealthy", "state": "stopped", "message": "rebalancing",
                                 "metrics": {"lag": 12, "topic": "netsentinel-events", "connected": False}}])
        self.assertEqual(validation_issues({"type": "status.update", "data": data[0]}), [])
        self.assertEqual(mappers.status({"component": "x", "status": "weird"})[0]["status"], "degraded")

    def test_component_metrics_are_flattened(self):
        data = mappers.metrics({"component": "event_processor", "metrics": {"queue": {"depth": 3, "name": "q"}, "ok": True}, "timestamp": 5.0})
        self.assertEqual(data, {"component": "event_processor", "metrics": {"queue.depth": 3}, "timestamp": 5.0})
        self.assertEqual(validation_issues({"type": "metrics.update", "data": data}), [])

    def test_a_millisecond_clock_is_read_as_seconds(self):
        self.assertEqual(mappers.epoch_seconds(1764115200500, "data.timestamp"), 1764115200.5)
        self.assertEqual(mappers.epoch_seconds(None, "data.timestamp", now=7.0), 7.0)


class PieceTest(unittest.TestCase):
    def test_logtype_codes_become_names_and_the_code_is_kept(self):
        self.assertEqual(mappers.event_type_fields("4002"), {"event_type": "ssh_login", "logtype": 4002})
        self.assertEqual(mappers.event_type_fields(2000), {"event_type": "ftp_login", "logtype": 2000})
        self.assertEqual(mappers.event_type_fields("4000"), {"event_type": "ssh_new_connection", "logtype": 4000})
        self.assertEqual(mappers.event_type_fields("31337"), {"event_type": "logtype_31337", "logtype": 31337})
        self.assertEqual(mappers.event_type_fields("ssh_login"), {"event_type": "ssh_login"})
        self.assertEqual(mappers.event_type_fields(None), {})

    def test_only_what_the_contracts_call_an_address_goes_in_source_ip(self):
        for text in ("192.168.1.100", "2001:db8::7", "::ffff:203.0.113.7", "::1"):
            self.assertEqual(mappers.source_fields(text), {"source_ip": text})
        for text in ("unknown", "fe80::1%eth0", "canary.lan", "010.1.1.1", "10.0.0.0/8", "256.1.1.1"):
            self.assertEqual(mappers.source_fields(text), {"source_ip": None, "source": text})
        self.assertEqual(mappers.source_fields(None), {"source_ip": None, "source": "unknown"})
        self.assertEqual(mappers.source_fields(""), {"source_ip": None, "source": "unknown"})

    def test_enum_levels_datetimes_and_tuples_from_the_processor(self):
        when = datetime.datetime(2025, 11, 26, tzinfo=datetime.timezone.utc)
        data = mappers.threat({"source_ip": "203.0.113.7", "threat_score": 9, "threat_level": ThreatLevel.CRITICAL,
                               "timestamp": when, "indicators": ("a", "b")})
        self.assertEqual((data["threat_level"], data["timestamp"], data["indicators"]), ("critical", 1764115200.0, ["a", "b"]))

    def test_unusable_payloads_name_the_field(self):
        cases = [
            (lambda: mappers.threat({"source_ip": "1.2.3.4", "threat_level": "high"}), "data.threat_score"),
            (lambda: mappers.threat({"source_ip": "1.2.3.4", "threat_score": float("nan"), "threat_level": "high"}), "data.threat_score"),
            (lambda: mappers.threat({"source_ip": "1.2.3.4", "threat_score": 7, "threat_level": "severe"}), "data.threat_level"),
            (lambda: mappers.alert({"severity": "high", "message": "x"}), "data.id"),
            (lambda: mappers.acknowledgement({"alert_id": "a1"}), "data.acknowledged_by"),
            (lambda: mappers.status({"status": "healthy"}), "data.component"),
            (lambda: mappers.ml_metrics({"metrics": {}}), "data.model_type"),
            (lambda: mappers.threat("not a mapping"), "data"),
        ]
        for call, path in cases:
            with self.subTest(path=path):
                with self.assertRaises(MappingError) as ctx:
                    call()
                self.assertEqual(ctx.exception.path, path)
                self.assertIsInstance(ctx.exception, ValueError)


if __name__ == "__main__":
    unittest.main()
