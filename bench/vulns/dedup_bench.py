#!/usr/bin/env python3
"""Deduplication precision and recall on the real PyPA (PYSEC) and RustSec advisory databases.

Each advisory is ingested as one OSV record through `clearinghouse vulns ingest --format osv` on a
fresh SQLite data folder; the case each record lands in is read back from the database. Ground truth:
two advisories are the same vulnerability when they share an identifier directly (one's id or alias
is among the other's id and aliases) -- the alias groups the databases publish. Scored over pairs.

Peer measured side by side on the same records: osv.dev-style alias grouping, the transitive closure
(union-find) over ids and aliases, which is what merges distinct vulnerabilities through chains.

usage: python3 bench/vulns/dedup_bench.py [--bin .build/debug/clearinghouse] [--data ../shared/data]
"""
import argparse, itertools, json, os, sqlite3, subprocess, sys, tempfile, time

def run(binary, data_dir, *args, stdin=None):
    return subprocess.run([binary, *args, "--data-dir", data_dir], input=stdin, capture_output=True, text=True, check=True).stdout

def rustsec_to_osv(record):
    a = record["advisory"]
    return {"id": a["id"], "modified": a["date"] + "T00:00:00Z", "aliases": a.get("aliases", []),
            "summary": record.get("title", ""), "details": record.get("description", ""),
            "affected": [{"package": {"ecosystem": "crates.io", "name": a["package"]}}],
            **({"severity": [{"type": "CVSS_V3", "score": a["cvss"]}]} if a.get("cvss", "").startswith("CVSS:3") else {})}

def pairs_from_groups(groups):
    out = set()
    for members in groups.values():
        for x, y in itertools.combinations(sorted(members), 2):
            out.add((x, y))
    return out

def score(predicted, truth):
    hit = len(predicted & truth)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall, len(predicted), len(truth)

def truth_pairs(records):
    ids = {r["id"]: {r["id"].upper(), *[x.upper() for x in r.get("aliases", [])]} for r in records}
    by_ident = {}
    for rid, idents in ids.items():
        for ident in idents:
            by_ident.setdefault(ident, set()).add(rid)
    return pairs_from_groups({k: v for k, v in by_ident.items() if len(v) > 1})

def union_find_pairs(records):
    parent = {}
    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for r in records:
        for alias in r.get("aliases", []):
            parent[find(r["id"].upper())] = find(alias.upper())
    groups = {}
    for r in records:
        groups.setdefault(find(r["id"].upper()), set()).add(r["id"])
    return pairs_from_groups(groups)

def measure(binary, name, records):
    with tempfile.TemporaryDirectory() as data_dir:
        run(binary, data_dir, "admin", "org", "create", "--name", "Bench", "--kind", "government")
        run(binary, data_dir, "admin", "user", "create", "--name", "bench", "--org", "Bench", "--role", "reviewer", stdin="bench password 1\n")
        path = os.path.join(data_dir, "records.jsonl")
        with open(path, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        started = time.monotonic()
        outcome = json.loads(run(binary, data_dir, "vulns", "ingest", "--format", "osv", "--user", "bench", path))
        elapsed = time.monotonic() - started
        db = sqlite3.connect(os.path.join(data_dir, "clearinghouse.sqlite"))
        cases = {}
        for key, case in db.execute("SELECT submitter_key, case_id FROM vuln_reports"):
            cases.setdefault(case, set()).add(key.split(":")[1])
        candidates = db.execute("SELECT count(*) FROM vuln_candidates").fetchone()[0]
        db.close()
    truth = truth_pairs(records)
    ours = score(pairs_from_groups(cases), truth)
    peer = score(union_find_pairs(records), truth)
    print(f"## {name}: {len(records)} records, ingest {elapsed:.1f} s, outcome {outcome}, reviewer candidates {candidates}")
    print(f"| method | precision | recall | predicted pairs | true pairs |")
    print(f"| --- | --- | --- | --- | --- |")
    print(f"| clearinghouse cases | {ours[0]:.4f} | {ours[1]:.4f} | {ours[2]} | {ours[3]} |")
    print(f"| transitive alias union-find (osv.dev-style) | {peer[0]:.4f} | {peer[1]:.4f} | {peer[2]} | {peer[3]} |")
    print()

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("CLEARINGHOUSE_BIN", ".build/debug/clearinghouse"))
    parser.add_argument("--data", default=os.environ.get("CLEARINGHOUSE_DATA", "../shared/data"))
    args = parser.parse_args()
    vulns = os.path.join(args.data, "vulns")
    pysec = [json.loads(l) for l in open(os.path.join(vulns, "pypa-advisory-database/pysec.osv.jsonl"))]
    rust = [rustsec_to_osv(json.loads(l)) for l in open(os.path.join(vulns, "rustsec-advisory-db/rustsec.jsonl"))]
    measure(args.bin, "PyPA advisory database (PYSEC)", pysec)
    measure(args.bin, "RustSec advisory database", rust)

if __name__ == "__main__":
    main()
