#!/usr/bin/env python3
"""The same TAXII 2.1 client workload against Clearinghouse and against medallion (OASIS reference
server, memory backend), one after the other in one run, through PyPI `taxii2-client`:

  ingest      add_objects(wait_for_completion=True) in batches; objects per second
  lookup      get_objects(id=...) (match[id]) for random ids; median and p99 in ms
  paginate    as_pages(get_objects) over the whole collection; seconds and objects seen

usage: bench.py --target clearinghouse|medallion|null --count N [--batch 500] [--lookups 300] [--phase-timeout S] [--ingest-only]
Clearinghouse: CLEARINGHOUSE_BIN (default .build/debug/clearinghouse); medallion: MEDALLION_BIN.
`null` is `null_server.c` (compiled with $CC or cc), which stores nothing and answers every POST at
once: its ingest rate is the ceiling the Python client itself puts on any server (ingest only).
Prints one JSON line of results.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from taxii2client.v21 import Collection, as_pages

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def objects(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append({
            "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": f"bench indicator {i}", "pattern": f"[ipv4-addr:value = '10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
            "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        })
    return out


def wait_http(url: str, timeout: float = 60):
    import requests
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except Exception:  # noqa: BLE001
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not answer")


def start_clearinghouse(tmp: str, database: str | None):
    binary = os.environ.get("CLEARINGHOUSE_BIN") or str(REPO / ".build" / "debug" / "clearinghouse")
    store = ["--data-dir", tmp] + (["--database", database] if database else [])
    if database:
        # On PostgreSQL every process must share the key that seals secrets at rest.
        os.environ.setdefault("CLEARINGHOUSE_SECRET_KEY", os.urandom(32).hex())
    run = lambda *a, stdin="": subprocess.run([binary, *a, *store], input=stdin, capture_output=True, text=True, check=True).stdout
    run("admin", "org", "create", "--name", "Bench", "--kind", "defender")
    run("admin", "user", "create", "--name", "bench", "--org", "Bench", "--role", "member", stdin="bench password 1\n")
    token = run("admin", "token", "create", "--user", "bench").strip().split()[-1]
    cid = run("intel", "collection", "create", "--title", "Bench", "--read", "Bench=amber", "--write", "Bench").strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--port", str(port), *store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz")
    return proc, Collection(f"{base}/taxii2/default/collections/{cid}/", user="bench", password=token), 1000


def start_medallion(tmp: str):
    binary = os.environ.get("MEDALLION_BIN") or "medallion"
    cid = str(uuid.uuid4())
    data = {
        "/discovery": {"title": "bench", "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]},
        "api1": {
            "information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
            "status": [],
            "collections": [{"id": cid, "title": "bench", "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}],
        },
    }
    data_file = Path(tmp) / "data.json"
    data_file.write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": str(data_file)}, "users": {"bench": "bench"},
              "taxii": {"max_page_size": 1000}}
    config_file = Path(tmp) / "config.json"
    config_file.write_text(json.dumps(config))
    port = free_port()
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port), str(config_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/taxii2/")
    return proc, Collection(f"{base}/api1/collections/{cid}/", user="bench", password="bench"), 1000


def start_null(tmp: str):
    binary = Path(tmp) / "null_server"
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", str(binary), str(Path(__file__).with_name("null_server.c"))], check=True)
    port = free_port()
    proc = subprocess.Popen([str(binary), str(port)], stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    return proc, Collection(f"http://127.0.0.1:{port}/taxii2/null/collections/c/", user="bench", password="bench"), 1000


def server_post_seconds(collection_url: str) -> tuple[float, int]:
    """Clearinghouse only: total seconds and count of object POSTs as the server timed them
    (request to response head), from the `clearinghouse_http_request_duration_seconds` histogram
    on /metrics. With the client's own timing this splits a POST into server and client+HTTP."""
    import requests
    base = collection_url.split("/taxii2/")[0]
    total, count = 0.0, 0
    for line in requests.get(base + "/metrics", timeout=10).text.splitlines():
        if 'method="POST"' not in line or "objects" not in line:
            continue
        name, value = line.rsplit(" ", 1)
        if name.startswith("clearinghouse_http_request_duration_seconds_sum"):
            total += float(value)
        elif name.startswith("clearinghouse_http_request_duration_seconds_count"):
            count += int(float(value))
    return total, count


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_written_mb(pid: int) -> float:
    """Bytes the process has handed to write calls (wchar, /proc/PID/io), in MB."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1]) / 1e6
    return 0.0


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", choices=["clearinghouse", "medallion", "null"], required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--lookups", type=int, default=300)
    ap.add_argument("--phase-timeout", type=float, default=600)
    ap.add_argument("--ingest-only", action="store_true", help="stop after the ingest phase")
    ap.add_argument("--database", default=None, help="postgres:// URL (Clearinghouse only)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="taxii-bench-")
    starts = {"clearinghouse": lambda: start_clearinghouse(tmp, args.database), "medallion": lambda: start_medallion(tmp),
              "null": lambda: start_null(tmp)}
    proc, collection, page = starts[args.target]()
    args.ingest_only = args.ingest_only or args.target == "null"
    result = {"target": args.target, "count": args.count, "batch": args.batch}
    try:
        data = objects(args.count)
        server_cpu = process_cpu_s(proc.pid)
        server_written = process_written_mb(proc.pid)
        client_cpu = time.process_time()
        started = time.perf_counter()
        stored = 0
        for i in range(0, len(data), args.batch):
            status = collection.add_objects({"objects": data[i:i + args.batch]}, wait_for_completion=True, poll_interval=0.05,
                                            timeout=args.phase_timeout)
            stored += status.success_count
            if time.perf_counter() - started > args.phase_timeout:
                result["ingest_truncated_at"] = stored
                break
        elapsed = time.perf_counter() - started
        posts = max(1, -(-stored // args.batch))
        result.update(client_cpu_ms_per_post=round((time.process_time() - client_cpu) / posts * 1000, 2),
                      server_cpu_ms_per_post=round((process_cpu_s(proc.pid) - server_cpu) / posts * 1000, 2),
                      server_written_mb_per_post=round((process_written_mb(proc.pid) - server_written) / posts, 2))
        result.update(ingested=stored, ingest_seconds=round(elapsed, 2), ingest_objects_per_second=round(stored / elapsed, 1))
        if args.target == "clearinghouse":
            seconds, posts = server_post_seconds(collection.url)
            if posts:
                result.update(ms_per_post=round(elapsed / posts * 1000, 2), server_ms_per_post=round(seconds / posts * 1000, 2))
        print(json.dumps(result), file=sys.stderr, flush=True)
        if args.ingest_only:
            print(json.dumps(result), flush=True)
            return 0
        ids = [o["id"] for o in data[:stored]]
        times = []
        lookup_started = time.perf_counter()
        for oid in random.Random(7).sample(ids, min(args.lookups, len(ids))):
            t = time.perf_counter()
            got = collection.get_objects(id=oid)
            times.append((time.perf_counter() - t) * 1000)
            assert [o["id"] for o in got.get("objects", [])] == [oid], f"lookup of {oid} returned {got}"
            if time.perf_counter() - lookup_started > args.phase_timeout:
                break
        result.update(lookups=len(times), lookup_median_ms=round(percentile(times, 50), 2), lookup_p99_ms=round(percentile(times, 99), 2))
        print(json.dumps(result), file=sys.stderr, flush=True)
        started = time.perf_counter()
        seen = 0
        for envelope in as_pages(collection.get_objects, per_request=page):
            seen += len(envelope.get("objects", []))
            if time.perf_counter() - started > args.phase_timeout:
                result["paginate_truncated"] = True
                break
        result.update(paginate_seconds=round(time.perf_counter() - started, 2), paginate_objects=seen)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
