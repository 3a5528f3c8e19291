#!/usr/bin/env python3
"""What `synchronous=FULL` costs kaim's SQLite writes against `NORMAL`, measured side by side.

kaim runs SQLite in WAL mode with `synchronous=FULL` (src/db/mod.rs), so that an acknowledged
write survives a power loss: each COMMIT syncs the write-ahead log. This measures, in one run
on the disk of DIR (default: the current directory), the commits per second of the two modes
for the shapes kaim writes: one row per transaction (`recordInteraction`) and 1,000 rows
(`importInteractions` at its default batch size), and prints FULL as a ratio of NORMAL.

    scripts/sqlite-sync-cost.py [DIR]
"""

import os
import sqlite3
import sys
import tempfile
import time


def rate(directory, mode, rows, transactions):
    folder = tempfile.mkdtemp(dir=directory, prefix="kaim-sync-")
    db = sqlite3.connect(os.path.join(folder, "t.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
    batch = [("x" * 200,)] * rows
    start = time.perf_counter()
    for _ in range(transactions):
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO t (payload) VALUES (?)", batch)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return transactions / elapsed


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    for rows, transactions in [(1, 2000), (1000, 200)]:
        normal = rate(directory, "NORMAL", rows, transactions)
        full = rate(directory, "FULL", rows, transactions)
        print(
            f"{rows:>5} rows per commit: NORMAL {normal:9.0f} commits/s, FULL {full:9.0f} commits/s, "
            f"FULL/NORMAL {full / normal:.2f}, FULL adds {(1 / full - 1 / normal) * 1000:.2f} ms per commit"
        )


if __name__ == "__main__":
    main()
