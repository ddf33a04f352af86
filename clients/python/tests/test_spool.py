"""The sqlite3 spool: hand-off order, one row per id, byte-bounded reads, survives reopening."""

import os
import tempfile
import unittest

import support  # noqa: F401
from netsentinel_gateway.spool import Spool


class SpoolTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.path = os.path.join(self.dir.name, "nested", "spool.sqlite3")

    def test_keeps_hand_off_order_one_row_per_id_and_survives_reopening(self):
        spool = Spool(self.path)
        self.assertEqual(spool.add([("a", '{"n":1}'), ("b", '{"n":2}'), ("a", '{"n":1}')]), 2)
        self.assertEqual(spool.add([("c", '{"n":3}')]), 1)
        spool.close()
        reopened = Spool(self.path)
        self.addCleanup(reopened.close)
        rows = reopened.oldest(10, 1 << 20)
        self.assertEqual([(i, b) for _, i, b in rows], [("a", '{"n":1}'), ("b", '{"n":2}'), ("c", '{"n":3}')])
        reopened.remove([rows[0][0]])
        self.assertEqual([i for _, i, _ in reopened.oldest(10, 1 << 20)], ["b", "c"])
        self.assertEqual(len(reopened), 2)

    def test_reads_at_most_max_bytes_but_always_at_least_one_event(self):
        spool = Spool(self.path)
        self.addCleanup(spool.close)
        spool.add([("e%d" % n, "x" * 100) for n in range(10)])
        self.assertEqual(len(spool.oldest(10, 350)), 3)
        self.assertEqual(len(spool.oldest(10, 10)), 1)
        self.assertEqual(len(spool.oldest(4, 1 << 20)), 4)


if __name__ == "__main__":
    unittest.main()
