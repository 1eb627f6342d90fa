"""The JSON API as its clients see it: the OpenAPI document validates and matches the routes, and
fuzzing every operation from that document never produces a server error."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import requests
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from harness import ARTIFACTS, Server, _die_with_parent, audit_verify, check

# Bounded so that the fuzz run stays well under three minutes on two cores.
FUZZ_MAX_EXAMPLES = int(os.environ.get("CLEARINGHOUSE_FUZZ_EXAMPLES", "40"))
FUZZ_MAX_SECONDS = int(os.environ.get("CLEARINGHOUSE_FUZZ_SECONDS", "100"))


def test_openapi_document_is_valid_openapi_3_1_and_matches_routes():
    server = Server(name="openapi").start()
    response = requests.get(server.base_url + "/api/v1/openapi.json", timeout=10)
    check(response.status_code == 200, f"GET /api/v1/openapi.json answered {response.status_code}")
    check("json" in response.headers.get("content-type", ""),
          f"openapi.json served as {response.headers.get('content-type')!r}")
    document = response.json()
    check(str(document.get("openapi", "")).startswith("3.1"), f"openapi version is {document.get('openapi')!r}, not 3.1.x")
    try:
        validate(document)  # picks the 3.1 validator from the `openapi` field
    except OpenAPIValidationError as error:
        raise AssertionError(f"openapi-spec-validator: {error.message} at {list(error.absolute_path)}") from None

    # Every documented operation exists on the server: with a valid token it never answers 404 for
    # a route-level reason or 405 (a path parameter is filled with a value that cannot exist, so a
    # 404 problem document is fine there).
    token = server.mint_token()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    missing = []
    for path, item in document["paths"].items():
        for method in ("get", "post", "delete", "put", "patch"):
            if method not in item:
                continue
            url = server.base_url + re.sub(r"\{[^}]+\}", "no-such-id", path)
            body = {} if method in ("post", "put", "patch") else None
            r = session.request(method.upper(), url, json=body, timeout=10)
            has_param = "{" in path
            if r.status_code == 405 or (r.status_code == 404 and not has_param):
                missing.append(f"{method.upper()} {path} -> {r.status_code}")
            elif r.status_code == 404 and path.startswith("/taxii2/"):
                # TAXII answers with its own error resource (checked by Tests/system/taxii).
                if "taxii+json" not in r.headers.get("content-type", ""):
                    missing.append(f"{method.upper()} {path} -> 404 without a TAXII error resource (route missing?)")
            elif r.status_code == 404 and "problem+json" not in r.headers.get("content-type", ""):
                missing.append(f"{method.upper()} {path} -> 404 without a problem document (route missing?)")
            if r.status_code >= 400 and path.startswith("/api/v1/") and not path.endswith("openapi.json"):
                ctype = r.headers.get("content-type", "")
                check("application/problem+json" in ctype,
                      f"{method.upper()} {path} error {r.status_code} answered as {ctype!r}, not problem+json")
    check(not missing, "documented operations the server does not route: " + "; ".join(missing))
    return f"{sum(len([m for m in i if m in ('get','post','delete','put','patch')]) for i in document['paths'].values())} operations"


def _schemathesis(server: Server, token: str, report_dir: Path, label: str, seconds: int,
                  select: list[str]) -> tuple[int, str]:
    schemathesis = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    check(os.path.exists(schemathesis), "schemathesis is not installed (pip install schemathesis)")
    command = [
        schemathesis, "run", server.base_url + "/api/v1/openapi.json",
        "--url", server.base_url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error",
        "--max-examples", str(FUZZ_MAX_EXAMPLES),
        "--max-time", str(seconds),
        "--seed", os.environ.get("CLEARINGHOUSE_FUZZ_SEED", "20260602"),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--workers", "2",
        "--request-timeout", "10",
        "--suppress-health-check", "all",
        "--report", "junit",
        "--report-junit-path", str(report_dir / f"junit-{label}.xml"),
        "--output-sanitize", "true",
        "--no-color",
        *select,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120,
                                preexec_fn=_die_with_parent,
                                cwd=report_dir,  # its .schemathesis/ cache stays out of the repository
                                env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        raise AssertionError(f"schemathesis ({label}) ran longer than {seconds + 120}s") from None
    output = result.stdout + result.stderr
    (report_dir / f"schemathesis-{label}.log").write_text(output)
    if result.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-60:])
        print(f"--- schemathesis {label} output (tail; full log in {report_dir}) ---\n{tail}", flush=True)
    return result.returncode, output


def test_fuzzing_from_openapi_finds_no_server_error():
    server = Server(name="fuzz").start()
    report_dir = ARTIFACTS / "schemathesis"
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True, exist_ok=True)
    # Stateful runs list the caller's tokens and may revoke the very token they fuzz with, after
    # which everything answers 401. So every operation but DELETE /tokens/{id} runs first, and the
    # revocation last, with a token of its own.
    runs = [
        ("main", FUZZ_MAX_SECONDS - 15, ["--exclude-method", "DELETE"]),
        ("delete", 15, ["--include-method", "DELETE"]),
    ]
    results = []
    for label, seconds, select in runs:
        token = server.mint_token()
        code, output = _schemathesis(server, token, report_dir, label, seconds, select)
        results.append((label, code, output))

    alive = requests.get(server.base_url + "/healthz", timeout=5).status_code == 200
    fresh = server.mint_token()
    me = requests.get(server.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}, timeout=5)
    server_errors = [line for line in server.output.splitlines() if " error " in line or "critical" in line]
    server.stop()
    server.save_log(report_dir)
    verify = audit_verify(server.data_dir)

    # schemathesis exits non-zero for its own crashes too (hypothesis internals, seen on the SARIF and
    # EPSS upload operations). Those are not server failures: they are reported as a note, and only a
    # failed check, or an error raised outside the tool's own code, fails the test.
    tool_errors = []
    failed = []
    for label, code, output in results:
        if code == 0:
            continue
        junit = report_dir / f"junit-{label}.xml"
        cases = re.findall(r'<testcase name="([^"]+)"[^>]*?(?:/>|>(.*?)</testcase>)', junit.read_text(), re.S) if junit.exists() else []
        check_failures = [name for name, body in cases if "<failure" in body]
        crashes = [(name, body) for name, body in cases if "<error" in body]
        own = [name for name, body in crashes if not re.search(r"site-packages/(hypothesis|schemathesis)/", body)]
        if check_failures or own or not cases or not crashes:
            failed.append((label, output))
        else:
            tool_errors += [name for name, _ in crashes]
    if failed:
        if server_errors:
            print("--- server log lines at error level ---\n" + "\n".join(server_errors[-20:]), flush=True)
        summary = [f"{label}: {line.strip()}" for label, output in failed for line in output.splitlines()
                   if re.search(r"\b(failures?|errors?|5\d\d|Server error)\b", line)]
        raise AssertionError("schemathesis found problems: " + " | ".join(summary[-6:]))
    check(alive, "server stopped answering /healthz during fuzzing")
    check(me.status_code == 200, f"a new admin token does not work after fuzzing: GET /api/v1/me -> {me.status_code}")
    check(verify.returncode == 0, f"audit verify after fuzzing: {verify.stdout.strip()} {verify.stderr.strip()}")
    notes = [f"schemathesis itself crashed on {len(tool_errors)} operation(s), left partly unfuzzed: {', '.join(tool_errors)}"] if tool_errors else []
    for label, _, output in results:
        cases = re.findall(r"(\d+) generated", output)
        notes.append(f"{label}: {cases[-1] if cases else '?'} cases, no 5xx")
    return "; ".join(notes)
