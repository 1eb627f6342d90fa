"""The promises an auditor checks with their own tools: editing, removing or reordering one audit row
with the sqlite3 command line makes `clearinghouse audit verify` fail and name that entry, and no
password or token is ever stored or logged in clear."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import requests

from harness import Server, audit_verify, check, cli, csrf_of, temp_dir, web_login


def _history(server: Server, token: str) -> None:
    """A little real history: organisations, users and tokens through the API and the admin CLI."""
    api = server.api(token)
    for n in range(3):
        r = api.post("/orgs", {"name": f"Audit Lab {n}", "kind": "ai-developer"})
        check(r.status_code == 201, f"POST /orgs answered {r.status_code}: {r.text[:200]}")
    r = api.post("/users", {"name": "auditor", "org": "Audit Lab 0", "role": "reviewer"})
    check(r.status_code == 201, f"POST /users answered {r.status_code}: {r.text[:200]}")
    server.cli("admin", "org", "create", "--name", "CLI Maintainers", "--kind", "maintainer")
    server.cli("admin", "user", "create", "--name", "cli.member", "--org", "CLI Maintainers", "--role", "member")


def _sqlite3(db: Path, sql: str) -> None:
    check(shutil.which("sqlite3"), "the sqlite3 command line is not installed (apt-get install sqlite3)")
    r = subprocess.run(["sqlite3", str(db), sql], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"sqlite3 {sql!r} failed: {r.stderr.strip()}")


def test_editing_one_audit_row_with_sqlite3_is_detected_and_named():
    server = Server(name="tamper").start()
    token = server.mint_token()
    _history(server, token)
    check(server.stop() == 0, "the server did not stop cleanly")
    data = Path(server.data_dir)

    verify = audit_verify(str(data))
    check(verify.returncode == 0, f"an untouched log does not verify: {(verify.stdout + verify.stderr).strip()}")
    m = re.search(r"valid: (\d+) entries, head ([0-9a-f]{64})", verify.stdout)
    check(m, f"audit verify printed {verify.stdout.strip()!r}, not 'audit log valid: N entries, head H'")
    entries, head = int(m.group(1)), m.group(2)
    check(entries >= 8, f"only {entries} audit entries for 8 changes")
    head_out = cli("audit", "head", data_dir=str(data)).stdout
    check(head in head_out and str(entries) in head_out, f"`audit head` printed {head_out.strip()!r}, verify said {entries} {head}")

    cases = {
        "edited": ("UPDATE audit_log SET actor='x' WHERE seq=3", 3),
        "edited detail": ("UPDATE audit_log SET detail=replace(detail, 'Audit Lab 1', 'Audit Lab X') "
                          "WHERE detail LIKE '%Audit Lab 1%'", None),
        "removed": ("DELETE FROM audit_log WHERE seq=4", 4),
        "reordered": ("UPDATE audit_log SET seq=-1 WHERE seq=5; UPDATE audit_log SET seq=5 WHERE seq=6; "
                      "UPDATE audit_log SET seq=6 WHERE seq=-1", 5),
    }
    seen = []
    for label, (sql, expected) in cases.items():
        copy = Path(temp_dir()) / "data"
        shutil.copytree(data, copy)
        if expected is None:
            # Find which entry holds the detail, so the test knows what verify must name.
            q = subprocess.run(["sqlite3", str(copy / "clearinghouse.sqlite"),
                                "SELECT seq FROM audit_log WHERE detail LIKE '%Audit Lab 1%'"],
                               capture_output=True, text=True)
            expected = int(q.stdout.split()[0])
        _sqlite3(copy / "clearinghouse.sqlite", sql)
        broken = audit_verify(str(copy))
        said = (broken.stdout + broken.stderr).strip()
        check(broken.returncode == 1, f"{label} entry {expected}: audit verify exited {broken.returncode}: {said!r}")
        check(re.search(rf"\bentry {expected}\b", said), f"{label} entry {expected}: verify did not name it: {said!r}")
        seen.append(f"{label} #{expected}")

    # The original, untouched, still verifies (the copies were edited, not it).
    check(audit_verify(str(data)).returncode == 0, "the untouched log stopped verifying")
    return f"{entries} entries; detected and named: " + ", ".join(seen)


def test_no_password_or_token_in_the_database_files_or_logs():
    server = Server(name="secrets", args=["--log-level", "trace"]).start()
    admin_password = server.password
    check(admin_password, "the first start printed no administrator password")
    secrets_to_hide: dict[str, str] = {}

    # Tokens: from the CLI, the API and the web form; used as Bearer and as Basic.
    cli_token = server.mint_token()
    secrets_to_hide["CLI token"] = cli_token
    api = server.api(cli_token)
    r = api.post("/tokens", {"label": "api made", "scope": "read"})
    check(r.status_code == 201, f"POST /tokens answered {r.status_code}")
    secrets_to_hide["API token"] = r.json()["secret"]
    basic = requests.get(server.base_url + "/api/v1/me", timeout=10,
                         headers={"Authorization": "Basic " + base64.b64encode(f"admin:{r.json()['secret']}".encode()).decode()})
    check(basic.status_code == 200, f"Basic auth with user name + token answered {basic.status_code}")

    # Passwords: chosen, generated by the API, set from the CLI's standard input, and a wrong one.
    r = api.post("/orgs", {"name": "Secret Keepers", "kind": "government"})
    check(r.status_code == 201, f"POST /orgs answered {r.status_code}")
    chosen = "Chosen-Passw0rd-Kept-Safe"
    r = api.post("/users", {"name": "chosen.one", "org": "Secret Keepers", "role": "member", "password": chosen})
    check(r.status_code == 201, f"POST /users with a password answered {r.status_code}: {r.text[:200]}")
    secrets_to_hide["chosen password"] = chosen
    r = api.post("/users", {"name": "generated.one", "org": "Secret Keepers", "role": "reviewer"})
    check(r.status_code == 201 and r.json().get("generated_password"), f"POST /users without a password: {r.status_code} {r.text[:200]}")
    secrets_to_hide["API-generated password"] = r.json()["generated_password"]
    piped = "Piped-Passw0rd-From-Stdin"
    server.cli("admin", "user", "create", "--name", "piped.one", "--org", "Secret Keepers", "--role", "member", input=piped + "\n")
    secrets_to_hide["piped password"] = piped
    reset = server.cli("admin", "user", "password", "--name", "chosen.one", input="Reset-Passw0rd-From-Stdin\n")
    secrets_to_hide["reset password"] = "Reset-Passw0rd-From-Stdin"
    check(reset.returncode == 0, "admin user password failed")

    # Web: sign in (admin, and the users above), fail once, create a token through the form.
    admin = web_login(server.base_url, "admin", admin_password)
    secrets_to_hide["admin password"] = admin_password
    web_login(server.base_url, "generated.one", secrets_to_hide["API-generated password"])
    web_login(server.base_url, "piped.one", piped)
    web_login(server.base_url, "chosen.one", "Reset-Passw0rd-From-Stdin")
    wrong = "Wrong-Passw0rd-Typo-Secret"
    page = requests.get(server.base_url + "/login", timeout=10)
    requests.post(server.base_url + "/login", cookies=page.cookies, timeout=10, allow_redirects=False,
                  data={"username": "admin", "password": wrong, "_csrf": csrf_of(page.text), "next": ""})
    secrets_to_hide["wrong password"] = wrong
    tokens_page = admin.get(server.base_url + "/tokens", timeout=10)
    made = admin.post(server.base_url + "/tokens", timeout=10,
                      data={"_csrf": csrf_of(tokens_page.text), "label": "web made", "scope": "", "expires_in_days": "30"})
    m = re.search(r'id="new-token">([^<]+)<', made.text)
    check(made.status_code in (200, 201) and m, f"the web form did not show a new token ({made.status_code})")
    secrets_to_hide["web token"] = m.group(1).strip()
    check(admin.get(server.base_url + "/api/v1/me", timeout=10,
                    headers={"Authorization": f"Bearer {secrets_to_hide['web token']}"}).status_code == 200,
          "the web-made token does not work")
    secrets_to_hide["session cookie"] = admin.cookies.get("ch_session")

    def scan_files(when: str) -> list[str]:
        found = []
        control = False  # a value that must be there proves the scan reads the live data (WAL included)
        for path in sorted(Path(server.data_dir).iterdir()):
            if not path.name.startswith("clearinghouse.sqlite"):
                continue
            raw = path.read_bytes()
            control = control or b"generated.one" in raw
            for what, value in secrets_to_hide.items():
                for form in _forms(value):
                    if form in raw:
                        found.append(f"{what} in {path.name} ({when})")
                        break
        check(control, f"the scan {when} did not even find a user name in the SQLite files")
        return found

    leaks = scan_files("while running")
    check(server.stop() == 0, "the server did not stop cleanly")
    leaks += scan_files("after stopping")

    # Logs: the administrator password appears once, in the first-start notice, and nowhere else.
    log = server.output
    banner = re.search(r"^\s*password:\s+" + re.escape(admin_password) + r"\s*$", log, re.MULTILINE)
    check(banner, "the first-start notice with the password is missing from the output")
    log_without_banner = log[: banner.start()] + log[banner.end():]
    for what, value in secrets_to_hide.items():
        if value and value in log_without_banner:
            leaks.append(f"{what} in the server log (trace level)")
    check(not leaks, "secrets in clear: " + "; ".join(sorted(set(leaks))))
    files = ", ".join(p.name for p in sorted(Path(server.data_dir).iterdir()))
    return f"{len(secrets_to_hide)} secrets absent from {files} and from {len(log.splitlines())} log lines"


def _forms(value: str) -> list[bytes]:
    """The clear text, and the random part of a prefixed token (chs_...), as stored bytes might hold it."""
    forms = [value.encode()]
    if "_" in value and len(value.split("_", 1)[1]) >= 16:
        forms.append(value.split("_", 1)[1].encode())
    return forms
