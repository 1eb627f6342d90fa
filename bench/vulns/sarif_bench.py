#!/usr/bin/env python3
"""A 100,000-result SARIF log ingested and deduplicated on SQLite, twice (the second upload must
create nothing), timed with peak memory from /usr/bin/time -v. Peer, side by side in the same run:
Python's json.load of the same log (what holding the whole log in memory costs).

The log: results of a fuzzing campaign, each with a fingerprint, a stack of 6 frames (sanitizer and
fuzzer-entry frames included) drawn so that about 2,000 distinct crash signatures occur.

usage: python3 bench/vulns/sarif_bench.py [--bin .build/debug/clearinghouse] [--results 100000] [--database postgres://…]
With --database the reports go to that PostgreSQL database (it must be empty) instead of SQLite;
set CLEARINGHOUSE_SECRET_KEY (64 hex digits) as the CLI requires with PostgreSQL.
"""
import argparse, json, os, random, re, subprocess, tempfile, time

def write_log(path, n):
    rng = random.Random(7)
    functions = [f"parse_chunk_{i}" for i in range(400)]
    with open(path, "w") as f:
        f.write('{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"bench-fuzzer","version":"1"}},"results":[')
        for i in range(n):
            bug = rng.randrange(2000)
            top = [functions[(bug * 7 + k) % 400] for k in range(3)]
            frames = ["__asan_memcpy"] + [f"{name}(ctx*, int)" for name in top] + ["LLVMFuzzerTestOneInput", "main"]
            result = {
                "ruleId": "heap-buffer-overflow",
                "message": {"text": f"Heap-buffer-overflow READ {rng.choice([1, 2, 4, 8])} in {top[0]} at 0x{rng.randrange(1 << 40):x}"},
                "fingerprints": {"crash/v1": f"run-{i}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/{top[0]}.c"}, "region": {"startLine": 10 + bug % 90}}}],
                "stacks": [{"frames": [{"location": {"logicalLocations": [{"fullyQualifiedName": fr}]}} for fr in frames]}],
            }
            f.write(("," if i else "") + json.dumps(result, separators=(",", ":")))
        f.write("]}]}")

def timed(cmd, **kw):
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, **kw)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time .*: (\S+)", out.stderr).group(1)
    return out.stdout.strip(), wall, rss / 1024

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("CLEARINGHOUSE_BIN", ".build/debug/clearinghouse"))
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in the temporary folder)")
    args = parser.parse_args()
    engine = ["--database", args.database] if args.database else []
    with tempfile.TemporaryDirectory() as data_dir:
        log = os.path.join(data_dir, "campaign.sarif")
        write_log(log, args.results)
        load = open("/proc/loadavg").read().split()[:3]
        size = os.path.getsize(log) / 1e6
        subprocess.run([args.bin, "admin", "org", "create", "--name", "Lab", "--kind", "ai-developer", "--data-dir", data_dir, *engine], check=True, capture_output=True)
        subprocess.run([args.bin, "admin", "user", "create", "--name", "scanner", "--org", "Lab", "--role", "member", "--data-dir", data_dir, *engine],
                       input="scanner password 1\n", text=True, check=True, capture_output=True)
        ingest = [args.bin, "vulns", "ingest", "--format", "sarif", "--user", "scanner", "--data-dir", data_dir, *engine, log]
        first = timed(ingest)
        second = timed(ingest)
        peer = timed(["python3", "-c", f"import json; d=json.load(open({log!r})); print(len(d['runs'][0]['results']))"])
        if args.database:
            count = lambda table: int(subprocess.run(["psql", args.database.split("?")[0], "-Atc", f"SELECT count(*) FROM {table}"],
                                                     capture_output=True, text=True, check=True).stdout)
        else:
            import sqlite3
            db = sqlite3.connect(os.path.join(data_dir, "clearinghouse.sqlite"))
            count = lambda table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        reports, cases = count("vuln_reports"), count("vuln_cases")
    print(f"log: {args.results} results, {size:.1f} MB; engine: {'PostgreSQL' if args.database else 'SQLite'}; load average before: {load}")
    print("| run | wall (m:ss) | peak RSS (MiB) | output |")
    print("| --- | --- | --- | --- |")
    print(f"| clearinghouse vulns ingest, first upload | {first[1]} | {first[2]:.0f} | {first[0]} |")
    print(f"| clearinghouse vulns ingest, same log again | {second[1]} | {second[2]:.0f} | {second[0]} |")
    print(f"| peer: python3 json.load of the whole log | {peer[1]} | {peer[2]:.0f} | {peer[0]} results |")
    print(f"stored: {reports} reports in {cases} cases")

if __name__ == "__main__":
    main()
