"""The package's bundled schemas are an exact copy of the repository's generated schemas/."""

import tempfile
import unittest
from pathlib import Path

import support
import sync_schemas


class BundledSchemasTest(unittest.TestCase):
    def test_bundled_copy_is_identical_to_the_repositorys_schemas(self):
        diff = sync_schemas.differences()
        self.assertEqual(diff, [], "clients/python bundles stale schemas; run: python3 clients/python/sync_schemas.py")

    def test_the_bundle_holds_every_schema_the_package_reads(self):
        bundled = sync_schemas.BUNDLED
        for rel in ("publish/publish-event.json", "envelope.json", "events/threat.new.json", "data/threat.new.json"):
            self.assertTrue((bundled / rel).is_file(), rel)

    def test_sync_makes_an_exact_copy_and_reports_drift(self):
        with tempfile.TemporaryDirectory() as tmp:
            source, bundled = Path(tmp) / "schemas", Path(tmp) / "bundle"
            (source / "data").mkdir(parents=True)
            (source / "data" / "a.json").write_text("{}")
            (source / "envelope.json").write_text("[]")
            self.assertEqual(sync_schemas.sync(source, bundled), 2)
            self.assertEqual(sync_schemas.differences(source, bundled), [])
            (source / "envelope.json").write_text("[1]")
            (bundled / "stale.json").write_text("{}")
            self.assertEqual(
                sync_schemas.differences(source, bundled),
                ["not in schemas/: stale.json", "differs: envelope.json"],
            )
            sync_schemas.sync(source, bundled)
            self.assertFalse((bundled / "stale.json").exists())
            self.assertEqual(sync_schemas.differences(source, bundled), [])

    def test_a_missing_schemas_directory_is_an_error_naming_the_fix(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(FileNotFoundError, "npm run schemas"):
                sync_schemas.differences(Path(tmp) / "nope", Path(tmp) / "bundle")


if __name__ == "__main__":
    unittest.main()
