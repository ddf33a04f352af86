"""The package builds into a wheel that works on its own: the bundled schemas are inside, and
validate() runs from an installed copy, away from the repository."""

import glob
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
import zipfile
from pathlib import Path

import support


def _can_build_wheels():
    try:
        import setuptools  # noqa: F401
        import wheel  # noqa: F401
    except ImportError:
        return False
    return True


@unittest.skipUnless(_can_build_wheels(), "building a wheel needs setuptools and wheel (python3-setuptools, python3-wheel)")
class WheelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp())
        # Build from a copy, so the source tree gets no build/ or *.egg-info.
        source = cls.tmp / "src"
        shutil.copytree(support.CLIENT_DIR, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
        out = cls.tmp / "dist"
        subprocess.run(
            [sys.executable, "-c", "from setuptools import build_meta; build_meta.build_wheel(%r)" % str(out)],
            cwd=source, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        (cls.wheel,) = glob.glob(str(out / "*.whl"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_the_wheel_holds_the_package_and_every_bundled_schema_but_no_tests(self):
        names = zipfile.ZipFile(self.wheel).namelist()
        bundled = sorted(p.relative_to(support.CLIENT_DIR).as_posix() for p in (support.CLIENT_DIR / "netsentinel_gateway" / "schemas").rglob("*") if p.is_file())
        self.assertEqual(sorted(n for n in names if "/schemas/" in n), bundled)
        self.assertIn("netsentinel_gateway/py.typed", names)
        self.assertFalse([n for n in names if n.startswith(("tests/", "examples/"))])

    def test_an_installed_copy_validates_with_its_own_schemas_away_from_the_repository(self):
        site = self.tmp / "site"
        zipfile.ZipFile(self.wheel).extractall(site)
        script = textwrap.dedent("""
            import sys, time
            sys.path.insert(0, %r)
            import netsentinel_gateway as g
            assert g.__file__.startswith(%r), g.__file__
            g.validate({"type": "threat.new", "data": {"source_ip": "192.168.1.100", "threat_score": 8.5,
                        "threat_level": "high", "timestamp": time.time()}})
            try:
                g.validate({"type": "threat.new", "data": {"source_ip": "nope"}})
            except g.GatewayError as err:
                print(sorted(err.paths))
        """ % (str(site), str(site)))
        # -I: isolated, so neither the repository nor the user's site-packages can stand in.
        out = subprocess.run([sys.executable, "-I", "-c", script], cwd=str(self.tmp), check=True, capture_output=True, text=True)
        self.assertEqual(out.stdout.strip(), "['data.source_ip', 'data.threat_level', 'data.threat_score', 'data.timestamp']")


if __name__ == "__main__":
    unittest.main()
