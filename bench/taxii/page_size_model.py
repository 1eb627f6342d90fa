#!/usr/bin/env python3
"""A model of what HTTP-sized TAXII commits cost SQLite at a given page size: the objects table and
its three indexes as Clearinghouse creates them, 500 rows with random STIX ids per
`BEGIN IMMEDIATE ... COMMIT`, WAL with `synchronous=FULL`, as the server's writer runs.

usage: page_size_model.py PAGE_SIZE TOTAL_ROWS MEASURE_FROM_ROW [DIR]

Prints wall and CPU milliseconds and the megabytes handed to write() per commit (wchar from
/proc/self/io) over the commits after MEASURE_FROM_ROW. The database is made in DIR (default: a
temporary directory) and removed afterwards."""
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid


def written_bytes() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("wchar")).split()[1])


def main() -> int:
    page, total, measure_from = (int(a) for a in sys.argv[1:4])
    directory = tempfile.mkdtemp(prefix="page-model-", dir=sys.argv[4] if len(sys.argv) > 4 else None)
    try:
        db = sqlite3.connect(os.path.join(directory, "model.db"), isolation_level=None)
        for pragma in (f"page_size={page}", "journal_mode=WAL", "synchronous=FULL", "cache_size=-65536", "temp_store=FILE"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("""CREATE TABLE taxii_objects (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection_id TEXT NOT NULL,
            object_id TEXT NOT NULL, type TEXT NOT NULL, spec_version TEXT NOT NULL, created_us BIGINT, modified_us BIGINT,
            version_us BIGINT NOT NULL, date_added_us BIGINT NOT NULL, is_first BIGINT NOT NULL, is_last BIGINT NOT NULL,
            tlp BIGINT NOT NULL, recipients TEXT NOT NULL DEFAULT ',', body TEXT NOT NULL)""")
        db.execute("CREATE INDEX taxii_objects_added ON taxii_objects (collection_id, date_added_us, seq)")
        db.execute("CREATE UNIQUE INDEX taxii_objects_version ON taxii_objects (collection_id, object_id, version_us)")
        db.execute("CREATE INDEX taxii_objects_type ON taxii_objects (collection_id, type, date_added_us, seq)")
        collection, body = str(uuid.uuid4()), "x" * 420  # about the size of a stored indicator
        insert = ("INSERT INTO taxii_objects (collection_id, object_id, type, spec_version, created_us, modified_us, version_us,"
                  " date_added_us, is_first, is_last, tlp, recipients, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
        rows = 0
        while rows < total:
            if rows == measure_from:
                started, cpu, written = time.perf_counter(), time.process_time(), written_bytes()
            batch = [(collection, f"indicator--{uuid.uuid4()}", "indicator", "2.1", 1, 1, 1, 1_000_000 + rows, 1, 1, 2, ",", body)
                     for _ in range(500)]
            db.execute("BEGIN IMMEDIATE")
            db.executemany(insert, batch)
            db.execute("COMMIT")
            rows += 500
        commits = (total - measure_from) / 500
        print(f"page {page}: rows {measure_from}-{total}: {(time.perf_counter() - started) / commits * 1000:.2f} ms/commit wall, "
              f"{(time.process_time() - cpu) / commits * 1000:.2f} ms CPU, {(written_bytes() - written) / commits / 1e6:.2f} MB written/commit")
        db.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
