"""Event ids and strict JSON encoding."""

import datetime
import enum
import json
import re
import unittest

import support  # noqa: F401  (puts the package on sys.path)
from netsentinel_gateway.events import (EncodingError, build_event, encode_batch, encode_event, new_event_id, non_finite_path,
                                        to_wire, with_id)

# The contracts' EventId pattern (packages/contracts/src/primitives.ts).
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


class Level(enum.Enum):
    HIGH = "high"


class NewEventIdTest(unittest.TestCase):
    def test_ids_are_evt_plus_32_hex_digits_and_match_the_contracts_pattern(self):
        event_id = new_event_id()
        self.assertRegex(event_id, r"^evt_[0-9a-f]{32}$")
        self.assertRegex(event_id, EVENT_ID)
        self.assertLessEqual(len(event_id), 128)

    def test_ids_do_not_repeat(self):
        self.assertEqual(len({new_event_id() for _ in range(10000)}), 10000)


class BuildEventTest(unittest.TestCase):
    def test_fixes_an_id_when_none_is_given_and_keeps_a_given_one(self):
        self.assertRegex(build_event("threat.new", {})["id"], r"^evt_")
        self.assertEqual(build_event("alert.new", {}, "alert_123")["id"], "alert_123")

    def test_copies_the_data_so_later_changes_by_the_caller_do_not_leak_in(self):
        data = {"a": 1}
        event = build_event("status.update", data)
        data["a"] = 2
        self.assertEqual(event["data"], {"a": 1})

    def test_rejects_data_that_is_not_a_mapping(self):
        with self.assertRaises(TypeError):
            build_event("threat.new", [1, 2])  # type: ignore[arg-type]

    def test_with_id_leaves_the_callers_dict_untouched(self):
        event = {"type": "threat.new", "data": {}}
        copy = with_id(event)
        self.assertNotIn("id", event)
        self.assertRegex(copy["id"], r"^evt_")
        self.assertEqual(with_id({"type": "x", "data": {}, "id": "mine"})["id"], "mine")


class EncodeTest(unittest.TestCase):
    def test_encodes_compact_utf8_json(self):
        text = encode_event({"type": "system.notice", "id": "n1", "data": {"message": "größer"}})
        self.assertEqual(text, '{"type":"system.notice","id":"n1","data":{"message":"größer"}}')

    def test_nan_and_infinity_raise_before_sending_naming_the_field(self):
        for bad in (float("nan"), float("inf"), float("-inf")):
            with self.assertRaises(ValueError) as ctx:
                encode_event({"type": "threat.new", "id": "t", "data": {"threat_score": bad}})
            self.assertIn("data.threat_score", str(ctx.exception))

    def test_finds_non_finite_numbers_in_nested_records_and_lists(self):
        self.assertEqual(non_finite_path({"metrics": {"p99_ms": float("nan")}}, "data"), "data.metrics.p99_ms")
        self.assertEqual(non_finite_path({"xs": [1.0, float("inf")]}, "data"), "data.xs[1]")
        self.assertIsNone(non_finite_path({"xs": [1.0, 2], "s": "nan"}, "data"))

    def test_writes_enums_as_their_values(self):
        self.assertIn('"threat_level":"high"', encode_event({"data": {"threat_level": Level.HIGH}}))

    def test_what_json_cannot_hold_is_an_encoding_error_naming_the_field_never_a_bare_type_error(self):
        cases = [
            ({"data": {"when": object()}}, "data.when", "object"),
            ({"data": {"logdata": {"USERNAME": b"root"}}}, "data.logdata.USERNAME", "bytes"),
            ({"data": {"tags": ["a", b"b"]}}, "data.tags[1]", "bytes"),
            ({"data": {"nested": {(1, 2): "x"}}}, "data.nested.(1, 2)", "key"),
        ]
        for event, path, word in cases:
            with self.subTest(path=path):
                with self.assertRaises(EncodingError) as ctx:
                    encode_event(event)
                self.assertIsInstance(ctx.exception, ValueError)
                self.assertEqual(ctx.exception.path, path)
                self.assertIn(word, str(ctx.exception))

    def test_converts_datetimes_enums_tuples_and_sets_like_the_wire_expects(self):
        when = datetime.datetime(2025, 11, 26, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc)
        wire = to_wire({"timestamp": when, "level": Level.HIGH, "pair": ("a", 1), "tags": {"b", "a"}, "mixed": frozenset([1, "x"])})
        self.assertEqual(wire["timestamp"], 1764115200.5)
        self.assertEqual(wire["level"], "high")
        self.assertEqual(wire["pair"], ["a", 1])
        self.assertEqual(wire["tags"], ["a", "b"])  # sorted: the same set always encodes the same
        self.assertEqual(sorted(map(str, wire["mixed"])), ["1", "x"])
        self.assertEqual(json.loads(encode_event({"data": {"ts": when, "ids": (1, 2)}})), {"data": {"ts": 1764115200.5, "ids": [1, 2]}})
        # A naive datetime is local time, as datetime.timestamp() takes it.
        naive = datetime.datetime(2025, 11, 26, 1, 2, 3)
        self.assertEqual(to_wire(naive), naive.timestamp())

    def test_batch_body_wraps_encoded_events(self):
        body = encode_batch([encode_event({"type": "a.b", "id": "1", "data": {}}), encode_event({"type": "a.b", "id": "2", "data": {}})])
        self.assertEqual(json.loads(body), {"events": [{"type": "a.b", "id": "1", "data": {}}, {"type": "a.b", "id": "2", "data": {}}]})


if __name__ == "__main__":
    unittest.main()
