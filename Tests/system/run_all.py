#!/usr/bin/env python3
"""Runs Clearinghouse's black-box system tests: one line per test, then `N passed, N failed`.

    python Tests/system/run_all.py            # everything
    python Tests/system/run_all.py -k crash   # tests whose name contains "crash"
    python Tests/system/run_all.py -v         # also print each failing test's traceback

Each `test_*.py` module beside this file contributes its `test_*` functions, in file order. A test
passes by returning, fails by raising, and is skipped by raising harness.Skip (for example when
CLEARINGHOUSE_TEST_POSTGRES_URL is not set). Exit status 1 when any test failed.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402


def discover(pattern: str | None):
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(path.stem)
        functions = [(name, fn) for name, fn in vars(module).items()
                     if name.startswith("test_") and inspect.isfunction(fn) and fn.__module__ == module.__name__]
        functions.sort(key=lambda item: item[1].__code__.co_firstlineno)
        for name, fn in functions:
            full = f"{path.stem}.{name}"
            if pattern and pattern not in full:
                continue
            yield full, fn


def one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="pattern", help="run only tests whose name contains this")
    parser.add_argument("-v", dest="verbose", action="store_true",
                        help="print tracebacks of tests that broke (not of failed checks)")
    args = parser.parse_args()

    print(f"binary: {harness.BIN}")
    print(f"PostgreSQL: {harness.PG_URL and harness._psql_url(harness.PG_URL).split('@')[-1] or 'not set (PostgreSQL tests skip)'}")
    sys.stdout.flush()

    passed = failed = skipped = 0
    failures: list[tuple[str, str]] = []
    started_all = time.monotonic()
    for name, fn in discover(args.pattern):
        started = time.monotonic()
        logs_note = ""
        try:
            note = fn()
            status, reason = "PASS", note or ""
        except harness.Skip as skip:
            status, reason = "SKIP", str(skip)
        except Exception as error:  # noqa: BLE001 - any exception is a failure, reported on one line
            status = "FAIL"
            if isinstance(error, AssertionError):
                reason = str(error)  # a check that failed: the message says what a user would notice
            else:
                reason = f"{type(error).__name__}: {error}"  # the test itself broke: keep the traceback
                failures.append((name, traceback.format_exc()))
            saved = harness.save_logs(harness.ARTIFACTS / "logs" / name)
            if saved:
                logs_note = f" [server logs: {saved[0].parent}]"
        finally:
            harness.cleanup_all()
        elapsed = time.monotonic() - started
        if status == "PASS":
            passed += 1
        elif status == "FAIL":
            failed += 1
        else:
            skipped += 1
        print(f"{status} {name} ({elapsed:.1f}s){' - ' + one_line(reason) if reason else ''}{logs_note}", flush=True)

    if args.verbose and failures:
        for name, tb in failures:
            print(f"\n--- {name} ---\n{tb}")
    total = time.monotonic() - started_all
    print(f"\nsystem tests took {total:.0f}s" + (f"; {skipped} skipped" if skipped else ""))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
