#!/usr/bin/env python3
"""Clearinghouse alone at scale (default 1,000,000 objects), one command per engine:

  generate   make_bundle.py writes N TLP:GREEN indicators (reused if the file exists)
  ingest     `clearinghouse intel import` of the bundle (the bulk path); objects/s, peak RSS
  lookup     get_objects(id=...) (match[id]) for random stored ids via taxii2-client; median, p99 ms
  paginate   as_pages(get_objects) over the whole collection at 1,000 per page; seconds, objects
             seen, and the server's resident memory sampled while it pages (peak and final)

usage: scale.py [--count 1000000] [--engine sqlite|postgres] [--bundle PATH] [--lookups 1000] [--chunk-size N] [--ingest-only]
PostgreSQL: --postgres URL (default the local ch_test database); a fresh schema is made and dropped.
Clearinghouse: CLEARINGHOUSE_BIN (default .build/release/clearinghouse). Prints JSON lines.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_bundle  # noqa: E402
from bench import REPO, free_port, percentile, wait_http  # noqa: E402
from taxii2client.v21 import Collection, as_pages  # noqa: E402


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def psql(url: str, sql: str):
    u = urlsplit(url)
    env = dict(os.environ, PGPASSWORD=u.password or "")
    subprocess.run(["psql", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres",
                    "-d", u.path.lstrip("/"), "-v", "ON_ERROR_STOP=1", "-qc", sql], env=env, check=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--postgres", default="postgres://ch:ch@127.0.0.1:5432/ch_test?sslmode=disable")
    ap.add_argument("--bundle", default=None)
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--chunk-size", type=int, default=None, help="intel import --chunk-size (default: the command's own)")
    ap.add_argument("--ingest-only", action="store_true", help="stop after the import")
    args = ap.parse_args()
    binary = os.environ.get("CLEARINGHOUSE_BIN") or str(REPO / ".build" / "release" / "clearinghouse")
    bundle = args.bundle or f"/tmp/taxii-scale-{args.count}.json"
    result: dict = {"engine": args.engine, "count": args.count, "binary": binary, "load_before": os.getloadavg()}
    if not Path(bundle).exists():
        started = time.perf_counter()
        make_bundle.write(args.count, bundle)
        result["generate_seconds"] = round(time.perf_counter() - started, 1)
    tmp = tempfile.mkdtemp(prefix="taxii-scale-")
    database, schema = None, None
    if args.engine == "postgres":
        schema = "taxii_scale_" + uuid.uuid4().hex[:8]
        psql(args.postgres, f"CREATE SCHEMA {schema}")
        database = args.postgres + ("&" if "?" in args.postgres else "?") + f"search_path={schema}"
        # On PostgreSQL every process must share the key that seals secrets at rest.
        os.environ.setdefault("CLEARINGHOUSE_SECRET_KEY", os.urandom(32).hex())
    store = ["--data-dir", tmp] + (["--database", database] if database else [])

    def run(*a, stdin=""):
        return subprocess.run([binary, *a, *store], input=stdin, capture_output=True, text=True, check=True).stdout

    proc = None
    try:
        run("admin", "org", "create", "--name", "Bench", "--kind", "defender")
        run("admin", "user", "create", "--name", "bench", "--org", "Bench", "--role", "member", stdin="bench password 1\n")
        token = run("admin", "token", "create", "--user", "bench").strip().split()[-1]
        cid = run("intel", "collection", "create", "--title", "Bench", "--read", "Bench=amber", "--write", "Bench").strip().splitlines()[-1]

        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        chunk = ["--chunk-size", str(args.chunk_size)] if args.chunk_size else []
        out = run("intel", "import", bundle, "--collection", cid, *chunk)
        result["chunk_size"] = args.chunk_size or "default"

        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result.update(import_output=out.strip().splitlines()[-1], ingest_seconds=round(elapsed, 1),
                      ingest_objects_per_second=round(args.count / elapsed), import_peak_rss_mb=round(max(peak, before) / 1024))
        print(json.dumps(result), file=sys.stderr, flush=True)
        if args.ingest_only:
            print(json.dumps(result), flush=True)
            return 0

        port = free_port()
        log = open(Path(tmp) / "serve.log", "w")
        proc = subprocess.Popen([binary, "serve", "--port", str(port), *store], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        wait_http(base + "/healthz", timeout=600)
        result["server_start_seconds"] = round(time.perf_counter() - started, 1)
        collection = Collection(f"{base}/taxii2/default/collections/{cid}/", user="bench", password=token)

        times = []
        for i in random.Random(11).sample(range(args.count), min(args.lookups, args.count)):
            oid = make_bundle.object_id(i)
            t = time.perf_counter()
            got = collection.get_objects(id=oid)
            times.append((time.perf_counter() - t) * 1000)
            assert [o["id"] for o in got.get("objects", [])] == [oid], f"lookup of {oid} returned {got}"
        result.update(lookups=len(times), lookup_median_ms=round(percentile(times, 50), 2),
                      lookup_p99_ms=round(percentile(times, 99), 2))
        result["server_rss_before_paging_mb"] = round(rss_kb(proc.pid) / 1024)
        print(json.dumps(result), file=sys.stderr, flush=True)

        samples: list[int] = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append(rss_kb(proc.pid))
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        seen = 0
        pages = 0
        for envelope in as_pages(collection.get_objects, per_request=1000):
            seen += len(envelope.get("objects", []))
            pages += 1
        result.update(paginate_seconds=round(time.perf_counter() - started, 1), paginate_objects=seen, pages=pages)
        stop.set()
        sampler.join()
        result.update(server_rss_paging_peak_mb=round(max(samples) / 1024), server_rss_after_paging_mb=round(rss_kb(proc.pid) / 1024),
                      server_rss_high_water_mb=round(rss_kb(proc.pid, "VmHWM") / 1024))
        result["load_after"] = os.getloadavg()
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if schema:
            psql(args.postgres, f"DROP SCHEMA {schema} CASCADE")
        # The database is up to a gigabyte at a million objects: never leave it behind.
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
