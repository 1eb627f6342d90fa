#!/usr/bin/env python3
"""Black-box tests of the vulnerability clearinghouse: the `clearinghouse cvss` command against the
Red Hat CVSS test vectors, the HTTP intake (SARIF twice, one bad record, embargoed cases) on a
real server, `vulns ingest` refusing a disabled user, and `vulns scans who`. Prints `PASS name` / `FAIL name: reason` per test; exit 1 when any failed.

    CLEARINGHOUSE_BIN=.build/debug/clearinghouse python3 Tests/system/vulns/run.py

Not covered yet (not built): CSAF 2.0 and OSV advisory generation and their schema validators.
"""
import json, os, re, subprocess, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import harness  # noqa: E402
from harness import check  # noqa: E402

DATA = Path(os.environ.get("CLEARINGHOUSE_DATA") or (harness.REPO.parent / "shared" / "data"))
VECTORS = DATA / "vulns" / "cvss" / "redhat-test-vectors"


def cvss(*args):
    return subprocess.run([harness.BIN, "cvss", *args], capture_output=True, text=True, timeout=30)


def test_cvss_cli_matches_test_vectors():
    if not VECTORS.is_dir():
        raise harness.Skip(f"missing {VECTORS}")
    checked = 0
    for name in ["vectors_simple31.txt", "vectors_simple3.txt", "vectors_simple4.txt"]:
        lines = [l for l in (VECTORS / name).read_text().splitlines() if " - (" in l]
        for line in lines[:: max(1, len(lines) // 40)]:
            vector, scores = line.split(" - (")
            # v3 lines give (base, temporal, environmental); these vectors carry base metrics only,
            # so the command's score is the base score, the first number (v4 lines have one).
            expected = float([s for s in scores.rstrip(")").split(",") if s.strip()][0])
            out = cvss(vector, "--json")
            check(out.returncode == 0, f"{vector}: exit {out.returncode} {out.stderr}")
            result = json.loads(out.stdout)
            check(set(result) >= {"score", "severity", "version"}, f"{vector}: fields {sorted(result)}")
            check(abs(result["score"] - expected) < 1e-9, f"{vector}: {result['score']} != {expected}")
            checked += 1
    check(checked > 100, f"only {checked} vectors checked")


def test_cvss_cli_rejects_bad_metric():
    out = cvss("CVSS:3.1/AV:N/AC:Z/PR:N/UI:N/S:U/C:H/I:H/A:H")
    check(out.returncode != 0, "malformed vector accepted")
    check("AC" in out.stderr, f"message does not name the metric: {out.stderr!r}")
    out = cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", "--json")
    check(out.returncode != 0 and "SA" in out.stderr, f"missing SA not named: {out.stderr!r}")


def members(admin, orgs):
    """Creates each organisation (an AI developer) and its member users; returns user ids by name."""
    ids = {}
    for org_name, users in orgs.items():
        org = admin.post("/orgs", {"name": org_name, "kind": "ai-developer"}).json()["id"]
        for name in users:
            r = admin.post("/users", {"name": name, "org": org, "role": "member", "password": "a long password 1"})
            check(r.status_code in (200, 201), f"create user {name}: {r.status_code} {r.text}")
            ids[name] = r.json()["user"]["id"]
    return ids


def test_intake_over_http():
    server = harness.Server().start()
    try:
        admin = server.api(server.mint_token())
        members(admin, {"Lab A": ["alice"], "Lab B": ["bob"]})
        alice, bob = server.api(server.mint_token("alice")), server.api(server.mint_token("bob"))
        log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "scan"}}, "results": [
            {"ruleId": "CWE-79", "message": {"text": f"xss {i}"}, "fingerprints": {"f": str(i)}} for i in range(200)
        ] + [{"message": {"text": 5}}]}]}
        body = json.dumps(log)
        first = alice.session.post(alice.base + "/vulns/reports/sarif", data=body, timeout=60).json()
        check(first["created"] == 200, f"first upload {first}")
        check(first["errors"] and first["errors"][0]["path"] == "$.runs[0].results[200].message.text", f"errors {first['errors']}")
        second = alice.session.post(alice.base + "/vulns/reports/sarif", data=body, timeout=60).json()
        check(second["created"] == 0 and second["unchanged"] == 200, f"second upload {second}")
        secret = alice.post("/vulns/reports", {"title": "Embargoed overflow in zlib", "tlp": "amber"}).json()
        check(bob.get("/vulns/cases?q=zlib").json()["total"] == 0, "outsider finds the embargoed case by search")
        check(bob.get(f"/vulns/cases/{secret['case_id']}").status_code == 404, "outsider opens the embargoed case")
        check(alice.get(f"/vulns/cases/{secret['case_id']}").status_code == 200, "reporter cannot open own case")
    finally:
        server.stop()


def test_cli_ingest_refuses_a_disabled_user_and_scans_who_answers():
    server = harness.Server().start()
    try:
        admin = server.api(server.mint_token())
        ids = members(admin, {"Lab A": ["carol", "dave"], "Lab C": ["erin"]})
        r = admin.session.patch(admin.base + f"/users/{ids['dave']}", json={"disabled": True}, timeout=10)
        check(r.status_code == 200, f"disable dave: {r.status_code} {r.text}")
        report = Path(harness.temp_dir()) / "report.json"
        report.write_text(json.dumps({"title": "Overflow in a parser"}))
        refused = server.cli("vulns", "ingest", "--format", "json", "--user", "dave", str(report), check_ok=False)
        check(refused.returncode != 0 and "no active user named dave" in refused.stderr + refused.stdout,
              f"ingest as a disabled user: exit {refused.returncode}: {refused.stdout} {refused.stderr}")
        accepted = server.cli("vulns", "ingest", "--format", "json", "--user", "carol", str(report))
        check(json.loads(accepted.stdout)["created"] == 1, f"ingest as an active user: {accepted.stdout}")

        carol = server.api(server.mint_token("carol"))
        r = carol.post("/scans", {"title": "Fuzz expat", "targets": ["pkg:github/libexpat/libexpat", "https://github.com/libexpat/libexpat"],
                                  "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z", "method": "fuzzing"})
        check(r.status_code == 201, f"declare: {r.status_code} {r.text}")
        who = server.cli("vulns", "scans", "who", "--user", "carol", "--at", "2030-01-05T00:00:00Z", "pkg:github/libexpat/libexpat@R_2_6_0")
        lines = [json.loads(line) for line in who.stdout.splitlines() if line.strip()]
        check([line["title"] for line in lines] == ["Fuzz expat"] and lines[0]["org"] == "Lab A", f"who (owner): {who.stdout}")
        hidden = server.cli("vulns", "scans", "who", "--user", "erin", "https://github.com/libexpat/libexpat")
        check(hidden.stdout.strip() == "" and "0 campaigns" in hidden.stderr, f"who (outsider): {hidden.stdout} {hidden.stderr}")
        bad = server.cli("vulns", "scans", "who", "--user", "carol", "cpe:2.3:a:libexpat", check_ok=False)
        check(bad.returncode != 0 and "TARGET" in bad.stderr, f"malformed target: {bad.returncode} {bad.stderr}")
    finally:
        server.stop()


if __name__ == "__main__":
    harness.run_module_tests(globals())
