"""validate(event) against the bundled schemas, checked with the repository's own examples."""

import json
import time
import unittest

import support
from netsentinel_gateway import GatewayError, validate, validation_issues
from netsentinel_gateway.validation import SCHEMAS_DIR, event_types, load_schema

EXAMPLES = SCHEMAS_DIR / "examples"


def examples(kind):
    for path in sorted(EXAMPLES.glob("*.%s.json" % kind)):
        # Python's json reads the bare NaN literal the invalid examples use (schemas/README.md).
        yield path.name.split(".%s." % kind)[0], json.loads(path.read_text(encoding="utf-8"))


class ValidateTest(unittest.TestCase):
    def test_knows_every_event_type_of_the_contracts(self):
        self.assertEqual(
            event_types(),
            sorted(["threat.new", "alert.new", "alert.acknowledged", "alert.resolved", "status.update",
                    "metrics.update", "event.raw", "correlation.new", "system.notice",
                    "system.presence_joined", "system.presence_left"]),
        )

    def test_every_valid_example_passes(self):
        seen = 0
        for type_, event in examples("valid"):
            with self.subTest(type=type_):
                self.assertEqual(validation_issues(event), [])
                validate(event)
                seen += 1
        self.assertEqual(seen, len(event_types()))

    def test_every_invalid_example_fails_at_the_field_it_names(self):
        seen = 0
        for type_, cases in examples("invalid"):
            for case in cases:
                with self.subTest(type=type_, case=case["name"]):
                    with self.assertRaises(GatewayError) as ctx:
                        validate(case["event"])
                    err = ctx.exception
                    self.assertEqual((err.status, err.code), (None, "invalid_message"))
                    self.assertIn(case["path"], err.paths)
                    seen += 1
        self.assertGreater(seen, 40)

    def test_the_seeds_threat_passes_with_a_current_timestamp(self):
        validate({"type": "threat.new", "data": {"source_ip": "192.168.1.100", "threat_score": 8.5, "threat_level": "high", "timestamp": time.time()}})

    def test_an_unknown_type_is_named(self):
        with self.assertRaises(GatewayError) as ctx:
            validate({"type": "threat.old", "data": {}})
        self.assertEqual(ctx.exception.code, "unknown_type")
        self.assertEqual(ctx.exception.paths, ["type"])
        self.assertIn("threat.new", ctx.exception.message)

    def test_missing_and_unknown_fields_are_named_by_their_own_path(self):
        issues = validation_issues({"type": "alert.new", "priority": 1, "data": {"id": "a1", "severity": "high", "timestamp": 1.0}})
        self.assertEqual({i["path"] for i in issues}, {"priority", "data.message"})

    def test_bad_ip_says_what_it_expected(self):
        issues = validation_issues({"type": "threat.new", "data": {"source_ip": "1.2.3.x", "threat_score": 1, "threat_level": "low", "timestamp": 1.0}})
        self.assertEqual(issues, [{"path": "data.source_ip", "code": "anyOf", "message": "'1.2.3.x' is not a valid IP address or null"}])

    def test_extra_fields_inside_data_pass_for_forward_compatibility(self):
        validate({"type": "status.update", "data": {"component": "c", "status": "healthy", "new_field": [1]}})

    def test_oversized_data_is_rejected(self):
        issues = validation_issues({"type": "system.notice", "data": {"level": "info", "message": "m", "timestamp": 1.0, "blob": "x" * 70000}})
        self.assertEqual([i["path"] for i in issues], ["data"])

    def test_non_objects_are_rejected(self):
        self.assertEqual(validation_issues([1])[0]["path"], "")

    def test_loads_bundled_schemas_by_relative_path(self):
        self.assertEqual(load_schema("data/threat.new.json")["$id"], "https://netsentinel.dev/schemas/v1/data/threat.new.json")


class ValidateWhatIsSentTest(unittest.TestCase):
    """validate() checks the event as the encoder will send it, and names the field it cannot send."""

    def threat(self, **over):
        return {"type": "threat.new", "data": dict({"source_ip": "203.0.113.7", "threat_score": 8.5,
                                                    "threat_level": "high", "timestamp": 1764115200.0}, **over)}

    def test_accepts_enum_members_tuples_sets_and_datetimes_the_encoder_converts(self):
        import datetime
        import enum

        class ThreatLevel(enum.Enum):  # the processor's core/models.py ThreatLevel
            HIGH = "high"

        when = datetime.datetime(2025, 11, 26, tzinfo=datetime.timezone.utc)
        event = self.threat(threat_level=ThreatLevel.HIGH, indicators=("brute_force", "tor_exit"), timestamp=when)
        self.assertEqual(validation_issues(event), [])
        self.assertEqual(validation_issues(self.threat(indicators={"a", "b"})), [])

    def test_bytes_and_objects_are_issues_naming_their_path_not_type_errors(self):
        issues = validation_issues(self.threat(logdata={"USERNAME": b"root"}))
        self.assertEqual([(i["path"], i["code"]) for i in issues], [("data.logdata.USERNAME", "not_encodable")])
        with self.assertRaises(GatewayError) as ctx:
            validate(self.threat(when=object()))
        self.assertEqual(ctx.exception.paths, ["data.when"])
        issues = validation_issues(self.threat(threat_score=float("nan")))
        self.assertEqual([(i["path"], i["code"]) for i in issues], [("data.threat_score", "not_finite")])

    def test_a_threat_without_an_address_needs_the_reported_source(self):
        self.assertEqual(validation_issues(self.threat(source_ip=None, source="unknown")), [])
        issues = validation_issues(self.threat(source_ip=None))
        self.assertEqual([(i["path"], i["code"]) for i in issues], [("data.source", "required")])
        issues = validation_issues(self.threat(source_ip="fe80::1%eth0"))
        self.assertEqual([i["path"] for i in issues], ["data.source_ip"])


if __name__ == "__main__":
    unittest.main()
