#!/usr/bin/env python3
"""Black-box tests of `clearinghouse eval`: real processes, real HTTP, the project's own test model
server (`clearinghouse eval test-server`), and Inspect AI (PyPI `inspect-ai`) as the interop peer.

    CLEARINGHOUSE_BIN=.build/debug/clearinghouse python Tests/system/evals/run.py [-k NAME]

Run it with a Python that has requirements.txt installed (the Inspect tests are skipped, saying so,
when `inspect_ai` cannot be imported). Prints `PASS name` / `FAIL name: reason` / `SKIP name: why`
per test and exits 1 when any test failed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BIN = os.environ.get("CLEARINGHOUSE_BIN") or str(REPO / ".build" / "debug" / "clearinghouse")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


class Skip(Exception):
    pass


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class TestServer:
    """`clearinghouse eval test-server` on a free port."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([BIN, "eval", "test-server", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        match = LISTENING.search(line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"test server did not start: {line!r}")
        self.url = match.group(1)

    def stats(self):
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/stats") as response:
            return json.load(response)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def write_dataset(path: Path, count: int):
    """A 4-choice dataset whose targets cycle A, B, C, D: a fixed-letter model scores exactly 0.25."""
    with path.open("w") as f:
        for i in range(count):
            f.write(json.dumps({"id": i + 1, "input": f"Question {i + 1}: which one?", "choices": ["w", "x", "y", "z"],
                                "target": "ABCD"[i % 4], "metadata": {"category": f"c{i % 3}"}}) + "\n")


def eval_cmd(*args, env=None, check_rc=True):
    proc = subprocess.run([BIN, "eval", *args], capture_output=True, text=True, env=env, timeout=600)
    if check_rc and proc.returncode != 0:
        raise AssertionError(f"eval {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return proc


def summary(proc):
    return json.loads(proc.stdout.strip().splitlines()[-1])


def samples_of(log: Path):
    """{(sample_id, epoch): (score or None, output, error)} and the number of sample lines."""
    records, lines = {}, 0
    for line in log.read_text().splitlines():
        d = json.loads(line)
        if d["type"] == "sample":
            lines += 1
            records[(d["sample_id"], d["epoch"])] = ((d.get("score") or {}).get("value"), d.get("output"), d.get("error"))
    return records, lines


def test_fixed_letter_scores_a_quarter(tmp: Path):
    write_dataset(tmp / "mc.jsonl", 100)
    with TestServer("--answer", "B") as server:
        proc = eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:fixed",
                        "--base-url", server.url, "--log", str(tmp / "run.jsonl"), "--json")
    s = summary(proc)
    check(s["samples"] == 100 and s["errors"] == 0, f"expected 100 scored, 0 errors: {s}")
    check(s["score"] == 0.25, f"score {s['score']} != 0.25")
    check(s["ci_low"] < 0.25 < s["ci_high"], f"Wilson interval {s['ci_low']}..{s['ci_high']} misses 0.25")
    check("samples done" not in proc.stderr and "/s  ETA" not in proc.stderr, "progress printed to a pipe")


def test_anthropic_provider(tmp: Path):
    write_dataset(tmp / "mc.jsonl", 20)
    with TestServer("--answer", "C") as server:
        env = dict(os.environ, ANTHROPIC_BASE_URL=server.url.removesuffix("/v1"), ANTHROPIC_API_KEY="test-key")
        proc = eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "anthropic:claude-test",
                        "--log", str(tmp / "run.jsonl"), "--json", env=env)
    s = summary(proc)
    check(s["samples"] == 20 and s["score"] == 0.25, f"Messages API run: {s}")
    header = json.loads((tmp / "run.jsonl").read_text().splitlines()[0])
    check("test-key" not in (tmp / "run.jsonl").read_text(), "the API key leaked into the run log")
    check(header["model"] == "anthropic:claude-test", f"header model {header['model']}")


def test_faults_complete_every_sample_once(tmp: Path):
    write_dataset(tmp / "mc.jsonl", 200)
    with TestServer("--answer", "hash") as clean:
        base = summary(eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:m",
                                "--base-url", clean.url, "--log", str(tmp / "clean.jsonl"), "--json"))
    with TestServer("--answer", "hash", "--fault-rate", "0.2", "--hang-ms", "4000", "--retry-after", "1") as faulty:
        proc = eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:m",
                        "--base-url", faulty.url, "--log", str(tmp / "faulty.jsonl"), "--json", "--timeout", "1",
                        "--max-connections", "50")
        stats = faulty.stats()
    s = summary(proc)
    check(stats["faults"] >= 20, f"the server injected only {stats['faults']} faults")
    check(s["errors"] == 0 and s["samples"] == 200, f"with faults: {s}")
    check(s["score"] == base["score"], f"score with faults {s['score']} != fault-free {base['score']}")
    records, lines = samples_of(tmp / "faulty.jsonl")
    check(lines == 200 and len(records) == 200, f"{lines} sample lines for {len(records)} samples")
    clean_records, _ = samples_of(tmp / "clean.jsonl")
    check(records == clean_records, "per-sample results differ from the fault-free run")


def test_unrecoverable_failures_are_errors_not_wrong_answers(tmp: Path):
    write_dataset(tmp / "mc.jsonl", 8)
    with TestServer("--answer", "A", "--fault-rate", "1", "--retry-after", "0", "--hang-ms", "1000") as server:
        proc = eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:m",
                        "--base-url", server.url, "--log", str(tmp / "run.jsonl"), "--json", "--max-retries", "1",
                        "--timeout", "0.5")
    s = summary(proc)
    check(s["errors"] == 8 and s["samples"] == 0, f"every sample should be an error, none scored: {s}")
    check("recorded as errors" in proc.stderr, f"the run did not report its errors: {proc.stderr!r}")


def test_sigkill_then_resume_equals_uninterrupted(tmp: Path):
    write_dataset(tmp / "mc.jsonl", 600)
    with TestServer("--answer", "hash", "--delay-ms", "20") as server:
        common = ["--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:m", "--base-url", server.url]
        eval_cmd("run", *common, "--log", str(tmp / "full.jsonl"), "--json")
        killed = subprocess.Popen([BIN, "eval", "run", *common, "--log", str(tmp / "killed.jsonl"), "--max-connections", "8"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            time.sleep(0.05)
            if (tmp / "killed.jsonl").exists() and (tmp / "killed.jsonl").read_text().count('"type":"sample"') >= 100:
                break
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        _, before = samples_of(tmp / "killed.jsonl")
        check(0 < before < 600, f"the kill came at {before} samples; the test needs a run cut in the middle")
        # A crash mid-write leaves a torn last line: resume must cut it, not glue the next line to it.
        with (tmp / "killed.jsonl").open("a") as f:
            f.write('{"type":"sample","sample_id":"torn')
        s = summary(eval_cmd("resume", str(tmp / "killed.jsonl"), "--json"))
    check(s["samples"] == 600 and s["errors"] == 0, f"resumed run: {s}")
    resumed, lines = samples_of(tmp / "killed.jsonl")
    full, _ = samples_of(tmp / "full.jsonl")
    check(lines == 600, f"{lines} sample lines after resume: samples were redone or double counted")
    check(resumed == full, "the resumed log differs from the uninterrupted run's")


def inspect_available():
    try:
        import inspect_ai  # noqa: F401
        return True
    except ImportError:
        return False


def test_export_is_read_by_inspect(tmp: Path):
    if not inspect_available():
        raise Skip("inspect_ai is not installed (pip install -r Tests/system/evals/requirements.txt)")
    write_dataset(tmp / "mc.jsonl", 40)
    with TestServer("--answer", "B") as server:
        s = summary(eval_cmd("run", "--dataset", str(tmp / "mc.jsonl"), "--scorer", "choice", "--model", "openai:m",
                             "--base-url", server.url, "--log", str(tmp / "run.jsonl"), "--json"))
    eval_cmd("export", str(tmp / "run.jsonl"), "--format", "inspect-json", "--out", str(tmp / "run.json"))
    dump = subprocess.run([sys.executable, "-m", "inspect_ai", "log", "dump", str(tmp / "run.json")], capture_output=True, text=True)
    check(dump.returncode == 0, f"inspect log dump refused the export: {dump.stderr.strip()[-600:]}")
    from inspect_ai.log import read_eval_log
    log = read_eval_log(str(tmp / "run.json"))
    check(log.version == 2 and log.status == "success", f"version {log.version}, status {log.status}")
    check(len(log.samples) == 40, f"{len(log.samples)} samples in the export")
    accuracy = log.results.scores[0].metrics["accuracy"].value
    check(abs(accuracy - s["score"]) < 1e-12, f"Inspect reads accuracy {accuracy}, we scored {s['score']}")


def test_inspect_log_imports_with_same_scores(tmp: Path):
    if not inspect_available():
        raise Skip("inspect_ai is not installed (pip install -r Tests/system/evals/requirements.txt)")
    write_dataset(tmp / "mc.jsonl", 40)
    (tmp / "task.py").write_text(
        "import os\n"
        "from inspect_ai import Task, task\n"
        "from inspect_ai.dataset import json_dataset\n"
        "from inspect_ai.scorer import choice\n"
        "from inspect_ai.solver import multiple_choice\n"
        "@task\n"
        "def mc():\n"
        "    return Task(dataset=json_dataset(os.environ['MC_DATASET']), solver=multiple_choice(), scorer=choice())\n")
    with TestServer("--answer", "hash") as server:
        env = dict(os.environ, MC_DATASET=str(tmp / "mc.jsonl"), OPENAI_BASE_URL=server.url, OPENAI_API_KEY="x",
                   INSPECT_LOG_DIR=str(tmp / "logs"))
        proc = subprocess.run([sys.executable, "-m", "inspect_ai", "eval", "task.py", "--model", "openai/m",
                               "-M", "responses_api=false", "--log-format", "json", "--display", "none"],
                              capture_output=True, text=True, env=env, timeout=600, cwd=tmp)
    check(proc.returncode == 0, f"inspect eval failed: {proc.stderr.strip()[-600:]}")
    logs = sorted((tmp / "logs").glob("*.json"))
    check(len(logs) == 1, f"expected one Inspect log, found {logs}")
    theirs = json.loads(logs[0].read_text())
    accuracy = theirs["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    ours = summary(eval_cmd("import", str(logs[0]), "--log", str(tmp / "imported.jsonl"), "--json"))
    check(ours["samples"] == 40 and ours["errors"] == 0, f"import: {ours}")
    check(abs(ours["score"] - accuracy) < 1e-12, f"imported score {ours['score']} != Inspect's accuracy {accuracy}")
    per_sample = {str(s["id"]): s["scores"]["choice"]["value"] for s in theirs["samples"]}
    records, _ = samples_of(tmp / "imported.jsonl")
    for (sample_id, _), (value, _, _) in records.items():
        check(value == (1.0 if per_sample[sample_id] == "C" else 0.0), f"sample {sample_id}: {value} vs Inspect {per_sample[sample_id]}")


def main():
    pattern = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    if not Path(BIN).exists():
        print(f"FAIL setup: no binary at {BIN} (build it or set CLEARINGHOUSE_BIN)")
        return 1
    failed = 0
    for name, fn in [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]:
        if pattern and pattern not in name:
            continue
        tmp = Path(tempfile.mkdtemp(prefix="ch-evals-"))
        started = time.time()
        try:
            fn(tmp)
            print(f"PASS {name} ({time.time() - started:.1f}s)", flush=True)
        except Skip as skip:
            print(f"SKIP {name}: {skip}", flush=True)
        except Exception as error:  # noqa: BLE001 - the runner reports every failure and goes on
            failed += 1
            print(f"FAIL {name}: {error}", flush=True)
            if "-v" in sys.argv:
                traceback.print_exc()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
