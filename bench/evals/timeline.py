#!/usr/bin/env python3
"""Where the wall time of one `eval run` goes: process start to first request, first request to
last reply, last reply to exit, and when each wave of requests started and finished.

usage: CLEARINGHOUSE_BIN=<release>/clearinghouse python3 bench/evals/timeline.py [--samples 2000]
       [--delay-ms 50] [--connections 500] [--runs 3]

Starts `clearinghouse eval test-server --answer hash`, runs `eval run` against it `--runs` times,
and reads each sample's `timing.started` / `timing.completed` from the run log. Prints one line
per run; the wave columns are `index: started/completed` in seconds after the first request.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BIN, start_server, write_dataset  # noqa: E402


def stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--delay-ms", type=int, default=50)
    ap.add_argument("--connections", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    server, url = start_server(args.delay_ms)
    try:
        with tempfile.TemporaryDirectory(prefix="ch-timeline-") as tmp:
            dataset = Path(tmp) / "mc.jsonl"
            write_dataset(dataset, args.samples)
            for _ in range(args.runs):
                log = Path(tmp) / "run.jsonl"
                log.unlink(missing_ok=True)
                began = time.time()
                subprocess.run([BIN, "eval", "run", "--dataset", str(dataset), "--scorer", "choice", "--model", "openai:bench",
                                "--base-url", url, "--max-connections", str(args.connections), "--log", str(log), "--json"],
                               check=True, capture_output=True)
                ended = time.time()
                starts, ends = [], []
                for line in log.read_text().splitlines():
                    record = json.loads(line)
                    if record.get("type") == "sample":
                        starts.append(stamp(record["timing"]["started"]))
                        ends.append(stamp(record["timing"]["completed"]))
                starts.sort()
                ends.sort()
                first = starts[0]
                waves = sorted({i for k in range(0, args.samples, args.connections) for i in (k, min(args.samples, k + args.connections) - 1)})
                print(f"wall {ended - began:.3f} s: exec->first request {first - began:.3f}, first request->last reply "
                      f"{ends[-1] - first:.3f}, last reply->exit {ended - ends[-1]:.3f} | "
                      + " ".join(f"{i}:{starts[i] - first:.3f}/{ends[i] - first:.3f}" for i in waves), flush=True)
    finally:
        server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
