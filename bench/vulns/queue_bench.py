#!/usr/bin/env python3
"""One million reports stored; the triage queue's first page timed over HTTP (API and page), for
an administrator and for a restricted reader whose access filter is applied in SQL.

How the database is built: the server's own CLI creates the SQLite database (all migrations), the
organisations, users and API tokens; then this script writes the cases, reports and report keys
straight into that database with SQL whose rows match the schema exactly (every NOT NULL column,
the label columns in their `,a,b,` list form, microsecond times, lowercase UUIDs). This is bulk
generation, not the intake path (bench/vulns/sarif_bench.py times intake): it builds 1,000,000
reports in under a minute instead of the quarter of an hour intake would take.

The data: 1,000,000 reports in 200,000 cases (5 per case on average) from 10 organisations.
Case labels: 10 % TLP:CLEAR, 10 % GREEN, 70 % AMBER (owned by one of the 10 organisations),
10 % RED (shared with its owner's user only). Priority ranks: 60 % unscored (0), the rest drawn
from the real rank encoding (SSVC tier, KEV, EPSS, CVSS). The restricted reader is a member of
one organisation: it may see about 27 % of the cases.

Measured: 50 sequential requests per reader, after 5 warm-up requests, on one keep-alive
connection: median and p99 (with 50 samples, p99 is the slowest but one).

usage: python3 bench/vulns/queue_bench.py [--bin BIN] [--reports 1000000] [--requests 50] [--data-dir DIR]
"""
import argparse, os, random, re, socket, sqlite3, statistics, subprocess, sys, tempfile, time, uuid

import requests


def run(binary, data_dir, *args, stdin=""):
    out = subprocess.run([binary, *args, "--data-dir", data_dir], input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(db_path, reports, cases, orgs, users, seed=5):
    rng = random.Random(seed)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA synchronous = OFF")
    t0 = 1_700_000_000_000_000
    case_rows = []
    case_labels = []
    for c in range(cases):
        cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        owner = rng.randrange(len(orgs))
        roll = rng.random()
        tlp = 0 if roll < 0.1 else 1 if roll < 0.2 else 2 if roll < 0.9 else 4
        share_users = f",{users[owner]}," if tlp == 4 else ","
        label = (tlp, orgs[owner], ",", share_users, ",")
        if rng.random() < 0.6:
            rank = 0
        else:
            rank = rng.randrange(5) * 10_000_000_000 + (1_000_000_000 if rng.random() < 0.05 else 0) \
                + rng.randrange(100_000) * 1_000 + rng.randrange(101)
        created = t0 + c * 1_000_000
        case_rows.append([cid, f"Heap overflow in parse_chunk_{c}", "new", "", f"scanner{owner}", 0, rank, created, created, *label])
        case_labels.append(label)
    counts = [0] * cases
    report_rows = []
    first = {}
    for r in range(reports):
        c = r % cases if r < cases else rng.randrange(cases)
        counts[c] += 1
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        first.setdefault(c, rid)
        cid = case_rows[c][0]
        received = case_rows[c][7] + counts[c] * 1000
        text = f"Heap-buffer-overflow READ 4 in parse_chunk_{c}"
        report_rows.append((rid, cid, case_rows[c][4], received, "sarif", f"sarif:bench:fp:crash/v1=run-{r}", f"heap-buffer-overflow: {text}",
                            text, ",", ",", ",", f"src/parse_chunk_{c}.c:{10 + c % 90}", ",", f"heap-buffer-overflow\nparse_chunk_{c}",
                            "new case" if counts[c] == 1 else "crash", '{"ruleId":"heap-buffer-overflow"}', *case_labels[c]))
    for c, row in enumerate(case_rows):
        row[3] = first[c]
        row[5] = counts[c]
    db.execute("BEGIN")
    db.executemany("""INSERT INTO vuln_cases (id, title, state, first_report, first_reporter, report_count, priority_rank, created_at, updated_at,
                      tlp, owner_org, share_orgs, share_users, compartments) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", case_rows)
    db.executemany("""INSERT INTO vuln_reports (id, case_id, reporter, received_at, format, submitter_key, title, details, aliases, packages,
                      weaknesses, location, cvss, crash_signature, match_reason, raw, tlp, owner_org, share_orgs, share_users, compartments)
                      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", report_rows)
    db.executemany("INSERT INTO vuln_report_keys (report_id, case_id, kind, value) VALUES (?,?,?,?)",
                   ((row[0], row[1], "fingerprint", f"bench/crash/v1=run-{i}") for i, row in enumerate(report_rows)))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def timed(session, url, n, warm=5):
    for _ in range(warm):
        session.get(url, timeout=30).raise_for_status()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        r = session.get(url, timeout=30)
        samples.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(round(0.99 * (len(s) - 1))))], r


def login(base, user, password):
    session = requests.Session()
    page = session.get(base + "/login", timeout=10)
    csrf = re.search(r'name="_csrf"\s+value="([^"]+)"', page.text) or re.search(r'value="([^"]+)"\s+name="_csrf"', page.text)
    r = session.post(base + "/login", data={"username": user, "password": password, "_csrf": csrf.group(1), "next": ""}, timeout=10)
    r.raise_for_status()
    return session


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.environ.get("CLEARINGHOUSE_BIN", ".build/debug/clearinghouse"))
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--data-dir", help="keep the database here (default: a temporary folder)")
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="queue-bench-")
    os.makedirs(data_dir, exist_ok=True)
    db_path = os.path.join(data_dir, "clearinghouse.sqlite")
    fresh = not os.path.exists(db_path)
    if fresh:
        for i in range(10):
            run(args.bin, data_dir, "admin", "org", "create", "--name", f"Org{i}", "--kind", "ai-developer")
            run(args.bin, data_dir, "admin", "user", "create", "--name", f"scanner{i}", "--org", f"Org{i}", "--role", "member",
                stdin=f"scanner password {i}\n")
        run(args.bin, data_dir, "admin", "user", "create", "--name", "boss", "--org", "Org0", "--role", "admin", stdin="boss password 1\n")
    admin_token = run(args.bin, data_dir, "admin", "token", "create", "--user", "boss").strip().split()[-1]
    reader_token = run(args.bin, data_dir, "admin", "token", "create", "--user", "scanner3").strip().split()[-1]
    db = sqlite3.connect(db_path)
    orgs = [db.execute("SELECT id FROM organisations WHERE name = ?", (f"Org{i}",)).fetchone()[0] for i in range(10)]
    users = [db.execute("SELECT id FROM users WHERE name = ?", (f"scanner{i}",)).fetchone()[0] for i in range(10)]
    existing = db.execute("SELECT count(*) FROM vuln_reports").fetchone()[0]
    db.close()
    if existing == 0:
        start = time.perf_counter()
        build(db_path, args.reports, args.reports // 5, orgs, users)
        print(f"built {args.reports} reports in {args.reports // 5} cases in {time.perf_counter() - start:.1f} s")
    db = sqlite3.connect(db_path)
    reports, cases = db.execute("SELECT (SELECT count(*) FROM vuln_reports), (SELECT count(*) FROM vuln_cases)").fetchone()
    visible = db.execute("SELECT count(*) FROM vuln_cases WHERE tlp <= 1 OR (tlp IN (2, 3) AND owner_org = ?) OR (tlp = 4 AND share_users LIKE ?)",
                         (orgs[3], f"%,{users[3]},%")).fetchone()[0]
    db.close()
    load = open("/proc/loadavg").read().split()[:3]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.bin, "serve", "--port", str(port), "--data-dir", data_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        rows = []
        for who, token, user, password in [("administrator", admin_token, "boss", "boss password 1"),
                                           ("restricted reader (Org3 member)", reader_token, "scanner3", "scanner password 3")]:
            api = requests.Session()
            api.headers["Authorization"] = f"Bearer {token}"
            med, p99, r = timed(api, base + "/api/v1/vulns/queue", args.requests)
            items = r.json()["items"]
            ranks = [i["priority_rank"] for i in items]
            assert len(items) == 50 and ranks == sorted(ranks, reverse=True), "the queue's first page is 50 cases by rank"
            if user != "boss":
                assert all(i["tlp"] in ("clear", "green") or i["first_reporter"] == "scanner3" for i in items), "the reader saw a case outside its label"
            rows.append((who, "GET /api/v1/vulns/queue", med, p99))
            page = login(base, user, password)
            med, p99, r = timed(page, base + "/vulns", args.requests)
            assert r.text.count('href="/vulns/cases/') >= 50, "the queue page lists 50 cases"
            rows.append((who, "GET /vulns (page)", med, p99))
    finally:
        server.terminate()
        server.wait()
    print(f"database: {reports} reports in {cases} cases; the restricted reader may see {visible} cases; load average before: {load}")
    print("| reader | request | median (ms) | p99 (ms) |")
    print("| --- | --- | --- | --- |")
    for who, what, med, p99 in rows:
        print(f"| {who} | {what} | {med:.1f} | {p99:.1f} |")


if __name__ == "__main__":
    main()
