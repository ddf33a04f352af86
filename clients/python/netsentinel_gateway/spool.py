"""A local spool (stdlib ``sqlite3``) for events that must not be lost while the gateway is away.

Each row is one encoded event with the id it was given at hand-off, so replaying it -- after an
outage, or after a restart of the process -- sends the same id again and the gateway delivers it at
most once. Rows leave the spool only when the gateway has accepted them (or refused them for good).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Iterable, List, Sequence, Tuple

#: ``(row, event id, encoded event)`` in hand-off order.
SpooledEvent = Tuple[int, str, str]


class Spool:
    """Thread-safe; one connection, short statements under a lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        # WAL: a commit is an append, readers do not block the writer. synchronous=NORMAL keeps what
        # was committed across a crash of this process (not of the machine) without an fsync each time.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS events (row INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
            " body TEXT NOT NULL, spooled_at REAL NOT NULL)"
        )
        self._closed = False

    def add(self, events: Iterable[Tuple[str, str]]) -> int:
        """Appends ``(id, encoded event)`` pairs in one transaction; an id already spooled is kept
        once. Returns how many rows were added."""
        rows = [(i, body, time.time()) for i, body in events]
        if not rows:
            return 0
        with self._lock:
            before = self._db.total_changes
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR IGNORE INTO events (id, body, spooled_at) VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return self._db.total_changes - before

    def oldest(self, limit: int, max_bytes: int) -> List[SpooledEvent]:
        """Up to ``limit`` events in hand-off order, at most ``max_bytes`` of JSON (at least one)."""
        with self._lock:
            # SQLite sums the UTF-8 sizes (no Python loop over the bodies: this runs beside the
            # processor's thread, and the less it holds the interpreter the better).
            rows = self._db.execute(
                "SELECT row, id, body FROM (SELECT row, id, body, SUM(LENGTH(CAST(body AS BLOB)) + 1)"
                " OVER (ORDER BY row) AS running FROM events ORDER BY row LIMIT ?) WHERE running <= ? OR row = ("
                "SELECT MIN(row) FROM events) ORDER BY row",
                (limit, max_bytes),
            ).fetchall()
            return rows

    def remove(self, rows: Sequence[int]) -> None:
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM events WHERE row = ?", [(r,) for r in rows])
            self._db.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    @property
    def closed(self) -> bool:
        return self._closed
