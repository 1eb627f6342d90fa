#!/usr/bin/env python3
"""Black-box tests of incident referral packages (EO 14409 §4): an incident filed over HTTP on a
real server, exported with `clearinghouse incident export --user`, its incident.json validated
against docs/schemas/referral-package.schema.json (PyPI `jsonschema`), verified offline with
`clearinghouse incident verify-package`, then one byte of evidence changed and the file named.
Prints `PASS name` / `FAIL name: reason` per test; exit 1 when any failed.

    CLEARINGHOUSE_BIN=.build/debug/clearinghouse python3 Tests/system/defenders/run.py
"""
import base64, json, os, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
import harness  # noqa: E402
from harness import check  # noqa: E402

FILING = {
    "title": "Agent intrusion at Rural Hospital", "summary": "An AI agent used stolen credentials to read billing records.",
    "started_at": "2026-11-20T02:00:00Z", "detected_at": "2026-11-20T05:00:00Z",
    "indicators": [{"type": "ipv4-addr", "value": "198.51.100.9"}, {"type": "domain-name", "value": "exfil.example"}],
    "ai_evidence": {"agent_traces": "tool-call log", "rate_and_scale": "9000 requests/min"},
    "facts": {"unauthorized_access": True, "protected_computer": True, "information_obtained": True, "identity_means_misused": True},
    "evidence": [{"name": "trace.log", "content_base64": base64.b64encode(b"agent: read /billing\n").decode()}],
}


def test_referral_package_round_trip():
    server = harness.Server().start()
    try:
        admin = server.api(server.mint_token())
        hospital = admin.post("/orgs", {"name": "Rural Hospital", "kind": "defender"}).json()["id"]
        bank = admin.post("/orgs", {"name": "Community Bank", "kind": "defender"}).json()["id"]
        for name, org in [("alice", hospital), ("bob", bank)]:
            r = admin.post("/users", {"name": name, "org": org, "role": "member", "password": "a long password 1"})
            check(r.status_code in (200, 201), f"create user {name}: {r.status_code} {r.text}")
        alice = server.api(server.mint_token("alice"))
        filed = alice.post("/incidents", FILING)
        check(filed.status_code == 201, f"file: {filed.status_code} {filed.text}")
        incident = filed.json()["id"]
        out = Path(harness.temp_dir("ch-pkg-")) / "package"
        refused = server.cli("incident", "export", incident, "--user", "bob", "--out", str(out), check_ok=False)
        check(refused.returncode != 0 and "not found" in refused.stderr, f"outsider export: {refused.returncode} {refused.stderr!r}")
        check(not out.exists(), "an outsider's refused export left files")
        server.cli("incident", "export", incident, "--user", "alice", "--out", str(out))
        document = json.loads((out / "incident.json").read_text())
        try:
            import jsonschema
        except ImportError:
            raise harness.Skip("jsonschema is not installed")
        schema = json.loads((REPO / "docs" / "schemas" / "referral-package.schema.json").read_text())
        jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
        check([t["provision"] for t in document["statute_tags"]["suggested"]] == ["1030(a)(2)", "1028(a)(7)"], f"suggested {document['statute_tags']}")
        ok = harness.cli("incident", "verify-package", str(out), check_ok=False)
        check(ok.returncode == 0, f"fresh package does not verify: {ok.stderr!r}")
        key = server.cli("incident", "signing-key").stdout.strip()
        signed = harness.cli("incident", "verify-package", str(out), "--public-key", key, check_ok=False)
        check(signed.returncode == 0 and "signed by the given key" in signed.stdout, f"signature: {signed.returncode} {signed.stderr!r}")
        manifest = out / "manifest.json"
        original = manifest.read_bytes()
        manifest.write_bytes(original + b" ")
        forged = harness.cli("incident", "verify-package", str(out), "--public-key", key, check_ok=False)
        check(forged.returncode == 1 and "manifest.sig" in forged.stderr, f"rewritten manifest not caught: {forged.returncode} {forged.stderr!r}")
        manifest.write_bytes(original)
        evidence = out / "evidence" / "001-trace.log"
        data = bytearray(evidence.read_bytes()); data[0] ^= 1; evidence.write_bytes(bytes(data))
        bad = harness.cli("incident", "verify-package", str(out), check_ok=False)
        check(bad.returncode == 1 and "evidence/001-trace.log" in bad.stderr, f"changed byte not named: {bad.returncode} {bad.stderr!r}")
    finally:
        server.stop()


if __name__ == "__main__":
    harness.run_module_tests(globals())
