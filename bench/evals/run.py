#!/usr/bin/env python3
"""Benchmark of `clearinghouse eval run` next to the physical floor and next to Inspect AI, on the
project's own test model server, in one script so both see the same machine at the same time.

    python bench/evals/run.py [--samples 2000] [--delays 0,50] [--connections 10,100,500]
                              [--inspect-connections 100] [--floor-client 500] [--memory-samples 10000]
                              [--out results.json]

Needs CLEARINGHOUSE_BIN (default .build/debug/clearinghouse) and, for the peer, a Python with
`inspect-ai` (run the script with that Python; the peer is skipped, saying so, without it).

Per configuration it records wall time, CPU time (user + system of the process, from wait4) per
sample, and peak resident memory (VmHWM, see run_measured). The floor is samples x delay / connections: what a
perfect client would take on a server that answers after `delay` with unlimited parallelism. The
"c-epoll floor" rows measure what is reachable on this machine: `floor_client.c`, a bare epoll
client in C (no start-up to speak of, no log, no parsing, no scoring), against the same server.
The test server runs on the same machine; its CPU is not counted in either client's figure but is
recorded beside it (`server_cpu_s`, from /proc/PID/stat before and after), with the 1-minute load
average before each run, since on a shared 2-core machine the two compete for the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CLEARINGHOUSE_BIN") or str(REPO / ".build" / "debug" / "clearinghouse")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+/v1)")


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return os.getloadavg()[0]


def measured_against(server, fn, *args):
    """Runs fn and adds the test server's CPU seconds spent meanwhile and the load average before."""
    load = load_average()
    before = process_cpu_s(server.pid)
    metrics = fn(*args)
    return {**metrics, "server_cpu_s": process_cpu_s(server.pid) - before, "load_1m": load}


def start_server(delay_ms: int):
    proc = subprocess.Popen([BIN, "eval", "test-server", "--port", "0", "--answer", "hash", "--delay-ms", str(delay_ms)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    match = LISTENING.search(proc.stdout.readline())
    if not match:
        proc.kill()
        sys.exit("test server did not start")
    return proc, match.group(1)


def run_measured(argv, env=None, cwd=None):
    """Wall seconds, CPU seconds (wait4) and peak RSS in MB of one process run to completion.

    A thread blocks in wait4, so the wall time ends when the process does (polling for the exit
    every 20 ms added up to 20 ms to every row). Peak memory is the kernel's VmHWM of the process,
    polled from /proc every 20 ms meanwhile (the last reading before exit is the peak). ru_maxrss
    is not used: Linux carries the forking parent's high-water mark across exec, so for a child of
    this Python it reports Python's size, not the child's."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        reaped = {}

        def reap():
            _, status, usage = os.wait4(proc.pid, 0)
            reaped.update(ended=time.perf_counter(), status=status, usage=usage)

        waiter = threading.Thread(target=reap)
        waiter.start()
        peak_kb = 0
        while waiter.is_alive():
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            waiter.join(0.02)
        wall = reaped["ended"] - started
        proc.returncode = os.waitstatus_to_exitcode(reaped["status"])
        usage = reaped["usage"]
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {stderr[-800:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak_kb / 1024}, stdout


def write_dataset(path: Path, count: int):
    with path.open("w") as f:
        for i in range(count):
            f.write(json.dumps({"id": i + 1, "input": f"Question {i + 1}: which of these ports is usually SSH?",
                                "choices": ["21", "22", "23", "25"], "target": "ABCD"[i % 4]}) + "\n")


INSPECT_TASK = """
import os
from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.scorer import choice
from inspect_ai.solver import multiple_choice

@task
def mc():
    return Task(dataset=json_dataset(os.environ["MC_DATASET"]), solver=multiple_choice(), scorer=choice())
"""


def ours(tmp: Path, dataset: Path, url: str, connections: int, samples: int, label: str):
    log = tmp / f"ours-{label}.jsonl"
    metrics, stdout = run_measured([BIN, "eval", "run", "--dataset", str(dataset), "--scorer", "choice", "--model", "openai:bench",
                                    "--base-url", url, "--max-connections", str(connections), "--log", str(log), "--json"])
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["samples"] == samples and summary["errors"] == 0, summary
    log.unlink()
    return metrics


def floor_client(tmp: Path) -> Path | None:
    """Compiles bench/evals/floor_client.c (a bare epoll client: no log, no parsing, no scoring) with
    $CC or cc; None, saying so, when there is no C compiler."""
    binary = tmp / "floor_client"
    compiler = os.environ.get("CC", "cc")
    try:
        subprocess.run([compiler, "-O2", "-o", str(binary), str(Path(__file__).with_name("floor_client.c"))], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"floor client not built ({error}): its rows are skipped", file=sys.stderr)
        return None
    return binary


def floor_probe(binary: Path, url: str, connections: int, samples: int):
    port = url.rsplit(":", 1)[1].split("/")[0]
    metrics, stdout = run_measured([str(binary), port, str(connections), str(samples)])
    replies, own_seconds = stdout.split()
    assert int(replies) == samples, stdout
    # Its own clock, from its first instruction to the last reply: no exec, no exit.
    return {**metrics, "own_s": float(own_seconds)}


def inspect_peer(tmp: Path, dataset: Path, url: str, connections: int):
    (tmp / "task.py").write_text(INSPECT_TASK)
    env = dict(os.environ, MC_DATASET=str(dataset), OPENAI_BASE_URL=url, OPENAI_API_KEY="bench", INSPECT_LOG_DIR=str(tmp / "ilogs"))
    metrics, _ = run_measured([sys.executable, "-m", "inspect_ai", "eval", "task.py", "--model", "openai/bench", "-M", "responses_api=false",
                               "--max-connections", str(connections), "--display", "none", "--log-format", "json"], env=env, cwd=tmp)
    return metrics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--delays", default="0,50")
    parser.add_argument("--connections", default="10,100,500")
    parser.add_argument("--inspect-connections", default="100", help="connection counts at which to run Inspect ('' to skip)")
    parser.add_argument("--floor-client", default="500", help="connection counts at which to run the C floor client ('' to skip)")
    parser.add_argument("--memory-samples", type=int, default=10000, help="a run of this many samples for peak memory (0 to skip)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    try:
        import inspect_ai  # noqa: F401
        have_inspect = True
    except ImportError:
        have_inspect = False
        print("inspect_ai not importable: the peer is skipped", file=sys.stderr)

    rows = []
    with tempfile.TemporaryDirectory(prefix="ch-bench-evals-") as tmp_name:
        tmp = Path(tmp_name)
        dataset = tmp / "mc.jsonl"
        write_dataset(dataset, args.samples)
        probe = floor_client(tmp) if args.floor_client else None
        for delay in [int(d) for d in args.delays.split(",")]:
            server, url = start_server(delay)
            try:
                # The bare C client first: whichever runs first meets a server that has not yet grown its heap.
                if probe:
                    for connections in [int(c) for c in args.floor_client.split(",")]:
                        m = measured_against(server, floor_probe, probe, url, connections, args.samples)
                        rows.append({"client": "c-epoll floor", "delay_ms": delay, "connections": connections, "samples": args.samples,
                                     "floor_s": args.samples * delay / 1000 / connections, **m})
                        print(json.dumps(rows[-1]), flush=True)
                for connections in [int(c) for c in args.connections.split(",")]:
                    m = measured_against(server, ours, tmp, dataset, url, connections, args.samples, f"{delay}-{connections}")
                    floor = args.samples * delay / 1000 / connections
                    rows.append({"client": "clearinghouse", "delay_ms": delay, "connections": connections, "samples": args.samples,
                                 "floor_s": floor, **m})
                    print(json.dumps(rows[-1]), flush=True)
                if have_inspect and args.inspect_connections:
                    for connections in [int(c) for c in args.inspect_connections.split(",")]:
                        m = measured_against(server, inspect_peer, tmp, dataset, url, connections)
                        rows.append({"client": "inspect-ai", "delay_ms": delay, "connections": connections, "samples": args.samples,
                                     "floor_s": args.samples * delay / 1000 / connections, **m})
                        print(json.dumps(rows[-1]), flush=True)
            finally:
                server.terminate()
                server.wait()
        if args.memory_samples:
            big = tmp / "big.jsonl"
            write_dataset(big, args.memory_samples)
            server, url = start_server(0)
            try:
                m = measured_against(server, ours, tmp, big, url, 500, args.memory_samples, "memory")
                rows.append({"client": "clearinghouse", "delay_ms": 0, "connections": 500, "samples": args.memory_samples, "floor_s": 0, **m})
                print(json.dumps(rows[-1]), flush=True)
            finally:
                server.terminate()
                server.wait()

    print()
    print("| client | samples | delay ms | connections | wall s | floor s | samples/s | CPU ms/sample | server CPU ms/sample | peak RSS MB | load 1m |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['client']} | {r['samples']} | {r['delay_ms']} | {r['connections']} | {r['wall_s']:.2f} | {r['floor_s']:.2f} | "
              f"{r['samples'] / r['wall_s']:.0f} | {1000 * r['cpu_s'] / r['samples']:.2f} | {1000 * r['server_cpu_s'] / r['samples']:.2f} | "
              f"{r['peak_rss_mb']:.0f} | {r['load_1m']:.1f} |")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
