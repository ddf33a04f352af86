#!/usr/bin/env python3
"""Copies the repository's generated ``schemas/`` into ``netsentinel_gateway/schemas/``, so the
package validates offline and installs on its own (``pip install ./clients/python``).

    python3 clients/python/sync_schemas.py          # refresh the bundled copy
    python3 clients/python/sync_schemas.py --check  # exit 1 and list differences if stale

Run it after ``npm run schemas``; the tests fail while the copy differs.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path
from typing import List

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "schemas"
BUNDLED = HERE / "netsentinel_gateway" / "schemas"


def _files(root: Path) -> List[str]:
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def differences(source: Path = SOURCE, bundled: Path = BUNDLED) -> List[str]:
    """What differs between the repository's schemas and the bundled copy, one line each."""
    if not source.is_dir():
        raise FileNotFoundError("%s is missing: run `npm run schemas` at the repository root" % source)
    ours, theirs = set(_files(bundled)), set(_files(source))
    out = ["missing from the bundle: %s" % f for f in sorted(theirs - ours)]
    out += ["not in schemas/: %s" % f for f in sorted(ours - theirs)]
    out += ["differs: %s" % f for f in sorted(ours & theirs) if not filecmp.cmp(source / f, bundled / f, shallow=False)]
    return out


def sync(source: Path = SOURCE, bundled: Path = BUNDLED) -> int:
    """Makes ``bundled`` an exact copy of ``source``; returns how many files changed."""
    changed = differences(source, bundled)
    if bundled.exists():
        shutil.rmtree(bundled)
    shutil.copytree(source, bundled)
    return len(changed)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report differences (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        diff = differences()
        for line in diff:
            print(line)
        if diff:
            print("bundled schemas are stale: run python3 clients/python/sync_schemas.py", file=sys.stderr)
        return 1 if diff else 0
    n = sync()
    print("bundled %d files from %s (%d changed)" % (len(_files(BUNDLED)), SOURCE, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
