"""Helpers shared by the tests; importing this package puts ``clients/python`` on ``sys.path`` so the
tests run from the repository root against the source tree (no install needed):

    /usr/bin/python3 -m unittest discover -s clients/python/tests -v
"""

import sys
from pathlib import Path

CLIENT_DIR = Path(__file__).resolve().parents[2]
REPO_ROOT = CLIENT_DIR.parents[1]
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))
