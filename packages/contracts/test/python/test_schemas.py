"""The generated schemas/ checked with Python's jsonschema (Debian's python3-jsonschema), as the
NetSentinel processor uses them: valid examples pass, invalid ones fail at the field they name.

Run from the repository root:
    /usr/bin/python3 -m unittest discover -s packages/contracts/test/python -v
"""

import contextlib
import io
import json
import math
import os
import pathlib
import re
import unittest

from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[4]
SCHEMAS = ROOT / "schemas"
BASE_URI = "https://netsentinel.dev/schemas/v1/"


def load(rel):
    # Python's json reads the bare NaN literal the invalid examples use.
    return json.loads((SCHEMAS / rel).read_text(encoding="utf-8"))


def validator(rel):
    schema = load(rel)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_files():
    # Documents that are not JSON Schemas: the channel registry, the AsyncAPI and OpenAPI
    # documents and the plain wire data (limits, codes) are checked by their own tests.
    skip = {"channels.json", "asyncapi.json", "openapi.json", "wire.json"}
    return sorted(
        p.relative_to(SCHEMAS).as_posix()
        for p in SCHEMAS.rglob("*.json")
        if p.relative_to(SCHEMAS).parts[0] != "examples" and p.name not in skip
    )


def format_path(segments):
    out = ""
    for s in segments:
        if isinstance(s, int):
            out += "[%d]" % s
        else:
            out += s if out == "" else "." + s
    return out


def error_paths(errors):
    """Instance paths of every error (and of the branch errors inside anyOf/oneOf), in the contracts'
    notation; a missing or unknown field is named by its own path."""
    paths = []
    for error in errors:
        base = list(error.absolute_path)
        if error.validator == "required":
            paths += [format_path(base + [k]) for k in error.validator_value if k not in error.instance]
        elif error.validator == "additionalProperties" and error.validator_value is False:
            known = set(error.schema.get("properties", {}))
            paths += [format_path(base + [k]) for k in error.instance if k not in known]
        else:
            paths.append(format_path(base))
        paths += error_paths(error.context or [])
    return paths


def contains_nan(value):
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(contains_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_nan(v) for v in value)
    return False


def channel_of():
    return {t: c["name"] for c in load("channels.json")["channels"] for t in c["event_types"]}


def envelope_for(event, channel):
    return {"channel": channel, "id": "evt_1", "seq": 1, "epoch": "k3v9q1", "ts": 1764115202.25, **event}


EVENT_TYPES = sorted(channel_of())


class GeneratedSchemaFiles(unittest.TestCase):
    def test_there_is_a_schema_for_each_of_the_eleven_event_types(self):
        self.assertEqual(len(EVENT_TYPES), 11)
        for event_type in EVENT_TYPES:
            for folder in ("data", "events"):
                with self.subTest(file="%s/%s.json" % (folder, event_type)):
                    self.assertTrue((SCHEMAS / folder / ("%s.json" % event_type)).is_file())

    def test_every_schema_file_is_a_valid_non_trivial_draft_2020_12_schema(self):
        for rel in schema_files():
            with self.subTest(file=rel):
                schema = load(rel)
                Draft202012Validator.check_schema(schema)
                self.assertEqual(schema["$id"], BASE_URI + rel)
                shape = schema.get("properties") or schema.get("required") or schema.get("oneOf") or schema.get("anyOf")
                closed_empty = schema.get("type") == "object" and schema.get("additionalProperties") is False
                self.assertTrue(shape or closed_empty, "schema has no structure")

    def test_every_schema_accepts_its_embedded_examples(self):
        for rel in schema_files():
            schema = load(rel)
            check = validator(rel)
            for example in schema.get("examples", []):
                with self.subTest(file=rel, example=example):
                    self.assertEqual([e.message for e in check.iter_errors(example)], [])


class Examples(unittest.TestCase):
    def test_valid_examples_pass_every_schema_they_belong_to(self):
        channels = channel_of()
        for event_type in EVENT_TYPES:
            event = load("examples/%s.valid.json" % event_type)
            envelope = envelope_for(event, channels[event_type])
            json.dumps(event, allow_nan=False)
            checks = [
                ("data/%s.json" % event_type, event["data"]),
                ("events/%s.json" % event_type, envelope),
                ("envelope.json", envelope),
                ("publish/publish-event.json", event),
                ("publish/publish-request.json", event),
                ("publish/publish-request.json", {"events": [event, event]}),
            ]
            for rel, value in checks:
                with self.subTest(type=event_type, schema=rel):
                    self.assertEqual([e.message for e in validator(rel).iter_errors(value)], [])

    def test_invalid_examples_are_rejected_at_the_field_they_name(self):
        channels = channel_of()
        for event_type in EVENT_TYPES:
            valid = load("examples/%s.valid.json" % event_type)
            publish = validator("publish/publish-event.json")
            batch = validator("publish/publish-request.json")
            envelope = validator("events/%s.json" % event_type)
            data = validator("data/%s.json" % event_type)
            for case in load("examples/%s.invalid.json" % event_type):
                with self.subTest(type=event_type, case=case["name"]):
                    if contains_nan(case["event"]):
                        # JSON Schema cannot say "finite"; NaN never reaches the wire when encoding with
                        # allow_nan=False (and the gateway answers a NaN literal with invalid_json).
                        with self.assertRaises(ValueError):
                            json.dumps(case["event"], allow_nan=False)
                        continue
                    self.assertEqual(case["data"], case["event"]["data"])
                    self.assertFalse(publish.is_valid(case["event"]))
                    self.assertFalse(batch.is_valid({"events": [valid, case["event"]]}))
                    errors = list(envelope.iter_errors(envelope_for(case["event"], channels[event_type])))
                    self.assertIn(case["path"], error_paths(errors))
                    if case["path"].startswith("data."):
                        errors = list(data.iter_errors(case["data"]))
                        self.assertIn(case["path"][len("data."):], error_paths(errors))

    def test_every_event_type_has_a_missing_field_and_an_unknown_field_case(self):
        for event_type in EVENT_TYPES:
            names = {c["name"] for c in load("examples/%s.invalid.json" % event_type)}
            with self.subTest(type=event_type):
                self.assertTrue({"missing field", "unknown top-level field"} <= names)


class ReadmeExample(unittest.TestCase):
    def test_the_python_example_in_schemas_readme_runs_and_finds_no_errors(self):
        readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
        self.assertTrue(blocks, "schemas/README.md has no python example")
        out = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(ROOT)
            with contextlib.redirect_stdout(out):
                exec(compile(blocks[0], "schemas/README.md", "exec"), {})
        finally:
            os.chdir(cwd)
        self.assertEqual(out.getvalue(), "")


if __name__ == "__main__":
    unittest.main()
