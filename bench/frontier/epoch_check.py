#!/usr/bin/env python3
"""Checks Clearinghouse's frontier estimates against Epoch AI's notable-models table.

1. 6·N·D against Epoch's recorded training compute, for the models where Epoch gives parameters,
   training dataset size and compute (all domains, language only, and language with N·D multiplied
   by Epoch's recorded epochs): share within a factor of 2 and of 3, and the worst outliers.
   The arithmetic is done here independently in Python and also by the binary
   (`clearinghouse compute estimate --json`) on a sample, which must agree exactly.
2. Threshold classification through the real binary: every model with recorded compute becomes a
   declared-figure model file; `clearinghouse assess --json` must answer "exceeds" for exactly the
   models whose recorded compute is above each policy's threshold.

Usage: python3 bench/frontier/epoch_check.py [CSV] (binary from CLEARINGHOUSE_BIN, default
.build/debug/clearinghouse). Prints a report in Markdown.
"""
import csv, json, os, subprocess, sys, tempfile

BIN = os.environ.get("CLEARINGHOUSE_BIN", ".build/debug/clearinghouse")
CSV = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/epoch-ai-models/epoch_notable_ai_models_raw.csv"

def num(s):
    s = (s or "").strip().split(",")[0]
    try:
        v = float(s)
        return v if v >= 0 else None
    except ValueError:
        return None

rows = list(csv.DictReader(open(CSV, newline="", encoding="utf-8")))
print(f"# Epoch check\n\nsource: `{CSV}` ({len(rows)} rows)\n")

# 1. 6ND comparison
def compare(selection, with_epochs):
    out = []
    for r in selection:
        n, d, c = num(r["Parameters"]), num(r["Training dataset size (total)"]), num(r["Training compute (FLOP)"])
        if not (n and d and c):
            continue
        e = num(r.get("Epochs")) if with_epochs else None
        est = 6 * n * d * (e if e else 1)
        out.append((est / c, r["Model"], r.get("Domain", ""), est, c))
    return out

def report(label, entries):
    n = len(entries)
    w2 = sum(1 for q, *_ in entries if 0.5 <= q <= 2)
    w3 = sum(1 for q, *_ in entries if 1 / 3 <= q <= 3)
    print(f"| {label} | {n} | {w2} ({100*w2/n:.1f}%) | {w3} ({100*w3/n:.1f}%) |")
    return entries

print("## 6·N·D against recorded compute\n")
print("| selection | models | within 2× | within 3× |\n|---|---|---|---|")
all_ = report("all domains", compare(rows, False))
lang = [r for r in rows if "Language" in (r.get("Domain") or "")]
report("language", compare(lang, False))
lang_e = report("language, × epochs", compare(lang, True))
print("\nLargest discrepancies (language, × epochs), ratio = 6·N·D·epochs / recorded:\n")
for q, name, dom, est, c in sorted(lang_e, key=lambda t: -abs(__import__("math").log10(t[0])))[:8]:
    print(f"- {name}: {est:.2e} vs {c:.2e} (ratio {q:.3g})")

# The binary's arithmetic equals 6·N·D exactly on a sample.
mismatch = 0
for q, name, dom, est, c in all_[:25]:
    r = next(r for r in rows if r["Model"] == name)
    out = subprocess.run([BIN, "compute", "estimate", "--parameters", str(num(r["Parameters"])), "--tokens",
                          str(num(r["Training dataset size (total)"])), "--json"], capture_output=True, text=True, check=True)
    if json.loads(out.stdout)["flop"] != est:
        mismatch += 1
print(f"\nbinary `compute estimate --json` vs Python 6·N·D on 25 models: {25 - mismatch} identical, {mismatch} different\n")

# 2. Classification through `assess`
thresholds = {"eo-14110": 1e26, "eu-ai-act": 1e25, "ca-sb53": 1e26, "ny-raise": 1e26}
with_compute = [(r["Model"], num(r["Training compute (FLOP)"])) for r in rows if num(r["Training compute (FLOP)"])]
exceeds = {p: set() for p in thresholds}
with tempfile.TemporaryDirectory() as tmp:
    for i, (name, flop) in enumerate(with_compute):
        if flop < 1e12:  # the model file refuses implausibly small FLOP figures (units check)
            continue
        path = os.path.join(tmp, f"m{i}.json")
        json.dump({"name": name, "training_compute_flop": flop}, open(path, "w"))
        out = subprocess.run([BIN, "assess", path, "--json"], capture_output=True, text=True)
        if out.returncode != 0:
            print(f"assess failed for {name}: {out.stderr.strip()}")
            continue
        for v in json.loads(out.stdout)["verdicts"]:
            if v["policy"] in thresholds and v["verdict"] == "exceeds":
                exceeds[v["policy"]].add(name)
print("## Threshold classification through `clearinghouse assess --json`\n")
print(f"{len(with_compute)} models with recorded compute\n")
print("| policy | threshold | recorded above | assess says exceeds | identical sets |\n|---|---|---|---|---|")
ok = True
for p, t in thresholds.items():
    truth = {n for n, f in with_compute if f > t}
    same = truth == exceeds[p]
    ok &= same
    print(f"| {p} | {t:.0e} | {len(truth)} | {len(exceeds[p])} | {'yes' if same else 'NO'} |")
print("\nabove 1e26: " + ", ".join(sorted(n for n, f in with_compute if f > 1e26)))
sys.exit(0 if ok and mismatch == 0 else 1)
