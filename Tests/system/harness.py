"""Shared helpers for Clearinghouse's black-box system tests.

Every test drives the real `clearinghouse` binary as a user or operator would: server processes on
127.0.0.1 with a free port and a temporary data folder, the admin CLI, the sqlite3 command line and
PostgreSQL through psql. Nothing here imports or knows the Swift code.

Environment:
  CLEARINGHOUSE_BIN                 the binary (default <repo>/.build/debug/clearinghouse)
  CLEARINGHOUSE_TEST_POSTGRES_URL   when set, PostgreSQL variants run (each in a fresh schema)
  CLEARINGHOUSE_ARTIFACTS           where screenshots and reports go (default <repo>/ci-artifacts)
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CLEARINGHOUSE_BIN") or str(REPO / ".build" / "debug" / "clearinghouse")
PG_URL = os.environ.get("CLEARINGHOUSE_TEST_POSTGRES_URL") or None
ARTIFACTS = Path(os.environ.get("CLEARINGHOUSE_ARTIFACTS") or (REPO / "ci-artifacts"))

LISTENING = re.compile(r"Clearinghouse listening on (http://127\.0\.0\.1:\d+)")
PASSWORD = re.compile(r"^\s*password:\s+(\S+)\s*$", re.MULTILINE)


class Skip(Exception):
    """Raised by a test that cannot run here; the runner reports it as SKIP with the reason."""


class TestFailure(AssertionError):
    pass


def check(condition, message: str) -> None:
    """Assert something a user would notice; the message is what the runner prints on failure."""
    if not condition:
        raise TestFailure(message)


# Every server and temp folder a test creates is registered here so that the runner can clean up
# after a failing test too.
_live_servers: list["Server"] = []
_test_servers: list["Server"] = []  # every server the current test started, for its logs on failure
_temp_dirs: list[str] = []


def save_logs(folder: Path) -> list[Path]:
    """Writes the output of every server the current test started (called by the runner on failure)."""
    return [server.save_log(folder) for server in _test_servers]


def cleanup_all() -> None:
    for server in list(_live_servers):
        server.kill()
    _live_servers.clear()
    _test_servers.clear()
    for d in list(_temp_dirs):
        shutil.rmtree(d, ignore_errors=True)
    _temp_dirs.clear()


def temp_dir(prefix: str = "ch-sys-") -> str:
    d = tempfile.mkdtemp(prefix=prefix)
    _temp_dirs.append(d)
    return d


def secret_key() -> str:
    """A CLEARINGHOUSE_SECRET_KEY: 32 random bytes as base64."""
    return base64.b64encode(os.urandom(32)).decode()


def require_binary() -> None:
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise TestFailure(f"clearinghouse binary not found at {BIN} (set CLEARINGHOUSE_BIN)")


def require_postgres() -> str:
    if not PG_URL:
        raise Skip("CLEARINGHOUSE_TEST_POSTGRES_URL is not set")
    if not shutil.which("psql"):
        raise TestFailure("psql is not installed but CLEARINGHOUSE_TEST_POSTGRES_URL is set")
    return PG_URL


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGKILL this server if the test runner dies, so none linger."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Server:
    """One `clearinghouse serve` process on a free port, its output captured line by line."""

    def __init__(self, data_dir: str | None = None, database: str | None = None,
                 env: dict[str, str] | None = None, name: str = "server", args: list[str] | None = None):
        require_binary()
        self.data_dir = data_dir or temp_dir()
        self.database = database
        self.name = name
        self.extra_args = list(args or [])
        self.env = dict(os.environ)
        self.env.pop("CLEARINGHOUSE_DATABASE_URL", None)
        self.env.pop("CLEARINGHOUSE_DATA_DIR", None)
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.base_url = ""
        self.password: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> "Server":
        return self.launch().wait_listening(timeout)

    def launch(self) -> "Server":
        """Starts the process without waiting for it to listen (see wait_listening)."""
        args = [BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", self.data_dir, *self.extra_args]
        if self.database:
            args += ["--database", self.database]
        self.stdout, self.stderr = [], []
        self.base_url, self.password = "", None
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=self.env, text=True, bufsize=1,
                                     preexec_fn=_die_with_parent)
        _live_servers.append(self)
        _test_servers.append(self)
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def wait_listening(self, timeout: float = 60) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTENING.search(self.output)
            if m:
                self.base_url = m.group(1)
                pw = PASSWORD.search(self.stdout_text)
                self.password = pw.group(1) if pw else None
                self._wait_ready(deadline)
                return self
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the pumps drain
                raise TestFailure(f"{self.name} exited with {self.proc.returncode} before listening:\n"
                                  + self.output[-2000:])
            time.sleep(0.05)
        self.kill()
        raise TestFailure(f"{self.name} did not print its listening line within {timeout}s:\n" + self.output[-2000:])

    def _wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TestFailure(f"{self.name}: /readyz never answered 200")

    def _pump(self, stream, sink: list[str]) -> None:
        for line in stream:
            with self._lock:
                sink.append(line)
        stream.close()

    @property
    def stdout_text(self) -> str:
        with self._lock:
            return "".join(self.stdout)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self.stdout) + "".join(self.stderr)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        """Send `sig` and wait; returns the exit status (negative: killed by a signal), None if it hung."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        self._finish()
        return code

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._finish()

    def _finish(self) -> None:
        for t in self._threads:
            t.join(timeout=5)
        if self in _live_servers:
            _live_servers.remove(self)

    def save_log(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.log"
        path.write_text(self.output)
        return path

    # -- conveniences ---------------------------------------------------------------------------

    def cli(self, *args: str, input: str | None = None, check_ok: bool = True) -> subprocess.CompletedProcess:
        return cli(*args, data_dir=self.data_dir, database=self.database, env=self.env, input=input,
                   check_ok=check_ok)

    def mint_token(self, user: str = "admin") -> str:
        return mint_token(self, user)

    def api(self, token: str) -> "Api":
        return Api(self.base_url, token)


def cli(*args: str, data_dir: str | None = None, database: str | None = None, env: dict | None = None,
        input: str | None = None, check_ok: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `clearinghouse ARGS --data-dir DIR [--database URL]` without a server."""
    require_binary()
    full = [BIN, *args]
    if data_dir:
        full += ["--data-dir", data_dir]
    if database:
        full += ["--database", database]
    run_env = dict(env or os.environ)
    result = subprocess.run(full, input=input if input is not None else "", capture_output=True, text=True,
                            env=run_env, timeout=timeout)
    if check_ok and result.returncode != 0:
        raise TestFailure(f"`clearinghouse {' '.join(args)}` exited {result.returncode}: "
                          f"{(result.stdout + result.stderr).strip()[-800:]}")
    return result


def mint_token(server: Server, user: str = "admin") -> str:
    out = server.cli("admin", "token", "create", "--user", user).stdout
    # The token is the one long opaque word the command prints.
    words = [w for w in re.split(r"\s+", out) if len(w) >= 20 and re.fullmatch(r"[A-Za-z0-9_\-.~+/=]+", w)]
    check(words, f"`admin token create` printed no token: {out!r}")
    return words[-1]


class Api:
    """A tiny JSON client with a Bearer token."""

    def __init__(self, base_url: str, token: str):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.base + path, timeout=kw.pop("timeout", 10), **kw)

    def post(self, path: str, body: dict, **kw) -> requests.Response:
        return self.session.post(self.base + path, json=body, timeout=kw.pop("timeout", 10), **kw)

    def delete(self, path: str, **kw) -> requests.Response:
        return self.session.delete(self.base + path, timeout=kw.pop("timeout", 10), **kw)


# -- PostgreSQL ---------------------------------------------------------------------------------

def _psql_url(url: str) -> str:
    """The URL without parameters libpq does not know (search_path)."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "search_path"]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def psql(sql: str, url: str | None = None) -> str:
    url = _psql_url(url or require_postgres())
    result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise TestFailure(f"psql failed ({sql!r}): {result.stderr.strip()}")
    return result.stdout


@contextlib.contextmanager
def postgres_schema():
    """A fresh, empty schema in the test database; yields a URL whose search_path points at it."""
    base = require_postgres()
    schema = "ch_sys_" + secrets.token_hex(6)
    psql(f"CREATE SCHEMA {schema}")
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.parse_qsl(parts.query) + [("search_path", schema)]
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            psql(f"DROP SCHEMA {schema} CASCADE")


def web_login(base_url: str, user: str, password: str) -> requests.Session:
    """Signs in through the web form as a browser would; returns the session holding ch_session."""
    session = requests.Session()
    page = session.get(base_url + "/login", timeout=10)
    check(page.status_code == 200, f"GET /login answered {page.status_code}")
    csrf = csrf_of(page.text)
    r = session.post(base_url + "/login", data={"username": user, "password": password, "_csrf": csrf, "next": ""},
                     allow_redirects=False, timeout=30)
    check(r.status_code in (302, 303), f"signing in as {user} answered {r.status_code}, not a redirect")
    check("ch_session" in session.cookies, "signing in set no ch_session cookie")
    return session


def csrf_of(html: str) -> str:
    m = re.search(r'name="_csrf"\s+value="([^"]+)"', html) or re.search(r'value="([^"]+)"\s+name="_csrf"', html)
    check(m, "the page has no hidden _csrf field")
    return m.group(1)


def audit_verify(data_dir: str, database: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return cli("audit", "verify", data_dir=data_dir, database=database, env=env, check_ok=False)


def run_module_tests(namespace: dict) -> None:
    """Runs every `test_*` function of an area's runner, one PASS/SKIP/FAIL line each, then exits
    non-zero if any failed. Areas call it as `harness.run_module_tests(globals())`."""
    import sys
    import traceback

    failed = 0
    for name, fn in [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]:
        try:
            fn()
            print(f"PASS {name}", flush=True)
        except Skip as skip:
            print(f"SKIP {name}: {skip}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the next test runs
            failed += 1
            print(f"FAIL {name}: {error}", flush=True)
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
    cleanup_all()
    sys.exit(1 if failed else 0)
