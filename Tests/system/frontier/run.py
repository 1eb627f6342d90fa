#!/usr/bin/env python3
"""Black-box tests of the frontier command line: `compute estimate`, `assess` on the shipped
examples (JSON and YAML), bad input naming the field, and `frontier import-epoch` idempotence.
Binary from CLEARINGHOUSE_BIN (default .build/debug/clearinghouse). One PASS/FAIL line per test."""
import json, os, subprocess, sys, tempfile

BIN = os.environ.get("CLEARINGHOUSE_BIN", ".build/debug/clearinghouse")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLES = os.path.join(ROOT, "examples")
DATA = os.environ.get("CLEARINGHOUSE_DATA") or os.path.join(ROOT, "..", "shared", "data")
failures = 0

def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)

def test(name):
    def wrap(fn):
        global failures
        try:
            fn()
            print(f"PASS {name}")
        except Exception as e:  # noqa: BLE001 - any failure is reported on its line
            failures += 1
            print(f"FAIL {name}: {e}")
        return fn
    return wrap

@test("estimate-architecture-json")
def _():
    r = run("compute", "estimate", "--parameters", "70e9", "--tokens", "7.0e10", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["flop"] == 6 * 70e9 * 7e10, d
    assert d["low"] <= d["flop"] <= d["high"], d

@test("estimate-moe-uses-active-parameters")
def _():
    d = json.loads(run("compute", "estimate", "--parameters", "671e9", "--active-parameters", "37e9", "--tokens", "14.8e12", "--json").stdout)
    assert d["flop"] == 6 * 37e9 * 14.8e12, d

@test("estimate-hardware-json")
def _():
    r = run("compute", "estimate", "--accelerator", "H100", "--count", "1024", "--hours", "720", "--utilization", "0.4", "--precision", "bf16", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert abs(d["flop"] - 1024 * 720 * 3600 * 989e12 * 0.4) / d["flop"] < 1e-3, d

@test("estimate-bad-input-names-the-flag")
def _():
    for args, flag in [(["--parameters", "70B", "--tokens", "1e12"], "--parameters"),
                       (["--accelerator", "Z9", "--count", "1", "--hours", "1", "--utilization", "0.4"], "--accelerator"),
                       (["--accelerator", "H100", "--count", "1", "--hours", "1", "--utilization", "40"], "--utilization")]:
        r = run("compute", "estimate", *args, "--json")
        assert r.returncode != 0 and flag in r.stderr, (args, r.returncode, r.stderr)

@test("assess-examples-json-and-yaml")
def _():
    for name in sorted(os.listdir(EXAMPLES)):
        path = os.path.join(EXAMPLES, name)
        r = run("assess", path, "--json")
        if name.startswith("bad-"):
            assert r.returncode != 0 and "$." in r.stderr, (name, r.stderr)
            continue
        assert r.returncode == 0, (name, r.stderr)
        verdicts = json.loads(r.stdout)["verdicts"]
        ids = [v["policy"] for v in verdicts]
        assert ids[:5] == ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"], ids
        assert all(v["verdict"] in ("exceeds", "does-not-exceed", "indeterminate") and v["explanation"] for v in verdicts)

@test("assess-straddling-interval-is-indeterminate")
def _():
    verdicts = {v["policy"]: v["verdict"] for v in json.loads(run("assess", os.path.join(EXAMPLES, "declared-straddle.json"), "--json").stdout)["verdicts"]}
    assert verdicts["ca-sb53"] == "indeterminate" and verdicts["eu-ai-act"] == "exceeds", verdicts

@test("assess-bad-files-name-the-field")
def _():
    cases = [({"parameters": "70e9", "training_tokens": "1e12"}, "$.name"),
             ({"name": "x", "training_compute_flop": -1}, "$.training_compute_flop"),
             ({"name": "x", "ledger": [{"category": "fine-tuning", "accelerator": "Z9", "count": 1, "hours": 1, "utilization": 0.3}]}, "$.ledger[0].accelerator"),
             ({"name": "x", "training_compute_flop": "1e25 FLOP"}, "$.training_compute_flop")]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (doc, field) in enumerate(cases):
            path = os.path.join(tmp, f"m{i}.json")
            json.dump(doc, open(path, "w"))
            r = run("assess", path)
            assert r.returncode != 0 and field in r.stderr, (doc, r.returncode, r.stderr)

@test("assess-with-a-new-policy-version-changes-the-verdict")
def _():
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "m.json")
        json.dump({"name": "x", "training_compute_flop": 5e24}, open(model, "w"))
        before = {v["policy"]: v for v in json.loads(run("assess", model, "--json").stdout)["verdicts"]}
        assert before["eu-ai-act"]["verdict"] == "does-not-exceed", before["eu-ai-act"]
        # Version 2 of the EU policy, written from the shipped one, with a lower threshold.
        doc = open(os.path.join(ROOT, "Sources", "Frontier", "Policies", "eu-ai-act.json"), encoding="utf-8").read()
        doc = doc.replace('"version": "1"', '"version": "2"').replace('"effective_date": "2025-08-02"', '"effective_date": "2025-09-01"').replace('"threshold": 1e+25', '"threshold": 1e+24')
        policy = os.path.join(tmp, "eu-v2.json")
        open(policy, "w").write(doc)
        r = run("assess", model, "--json", "--policy", policy)
        assert r.returncode == 0, r.stderr
        after = {v["policy"]: v for v in json.loads(r.stdout)["verdicts"]}
        assert after["eu-ai-act"]["verdict"] == "exceeds" and after["eu-ai-act"]["version"] == "2", after["eu-ai-act"]

@test("import-epoch-is-idempotent")
def _():
    csv = os.path.join(DATA, "epoch-ai-models", "epoch_notable_ai_models_raw.csv")
    if not os.path.exists(csv):
        print("  (skipped: ../shared/data/epoch-ai-models is missing)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        first = run("frontier", "import-epoch", csv, "--data-dir", tmp)
        second = run("frontier", "import-epoch", csv, "--data-dir", tmp)
        assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
        assert " 0 new" in second.stdout, second.stdout
        assert first.stdout.split(";")[-1] == second.stdout.split(";")[-1], (first.stdout, second.stdout)

@test("serve-refuses-a-bad-max-window-setting-at-start")
def _():
    with tempfile.TemporaryDirectory() as tmp:
        for bad in ["thirty", "0", "400"]:
            env = dict(os.environ, CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS=bad)
            r = subprocess.run([BIN, "serve", "--port", "0", "--data-dir", tmp], capture_output=True, text=True, timeout=60, env=env)
            assert r.returncode != 0, f"{bad!r}: serve started (exit {r.returncode})"
            assert "CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS" in r.stderr and bad in r.stderr, r.stderr
            assert not os.path.exists(os.path.join(tmp, "clearinghouse.sqlite")), "nothing is created before the check"

@test("terms-publish-from-a-file")
def _():
    with tempfile.TemporaryDirectory() as tmp:
        assert run("admin", "org", "create", "--name", "Ops", "--kind", "government", "--data-dir", tmp).returncode == 0
        made = subprocess.run([BIN, "admin", "user", "create", "--name", "ops-admin", "--org", "Ops", "--role", "admin", "--data-dir", tmp],
                              input="a long enough password 1\n", capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        terms = os.path.join(tmp, "terms-v2.txt")
        open(terms, "w").write("Protection terms version 2.\nNo outputs leave the invitee.\n")
        r = run("frontier", "terms", "publish", terms, "--version", "2", "--user", "ops-admin", "--data-dir", tmp)
        assert r.returncode == 0, r.stderr
        assert "published protection terms version 2" in r.stdout, r.stdout
        again = run("frontier", "terms", "publish", terms, "--version", "2", "--user", "ops-admin", "--data-dir", tmp)
        assert again.returncode != 0 and "already published" in again.stderr, again.stderr
        listing = run("frontier", "terms", "list", "--data-dir", tmp)
        assert listing.stdout.splitlines()[0].startswith("2\t"), listing.stdout

@test("pages-in-a-browser-with-axe")
def _():
    try:
        import selenium, axe_selenium_python  # noqa: F401
    except ImportError:
        print("  (skipped: selenium and axe-selenium-python are not installed; see requirements.txt)")
        return
    sys.path.insert(0, os.path.dirname(__file__))
    import browser
    csv = os.path.join(DATA, "epoch-ai-models", "epoch_notable_ai_models_raw.csv")
    print("  " + browser.run(csv if os.path.exists(csv) else None))

sys.exit(1 if failures else 0)
