"""What an operator relies on when a process dies: a write the server acknowledged survives SIGKILL,
the audit chain stays valid, and SIGTERM drains in-flight requests and exits 0 within seconds. Each
runs on SQLite, and on PostgreSQL when CLEARINGHOUSE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import secrets
import signal
import threading
import time

import requests

from harness import Server, audit_verify, check, postgres_schema, require_postgres, secret_key, temp_dir

WRITERS = 6


class Writers:
    """Several threads creating organisations as fast as the server acknowledges them."""

    def __init__(self, base_url: str, token: str, tag: str, pause: float = 0.0, mix_reads: bool = False):
        self.base = base_url + "/api/v1"
        self.token = token
        self.tag = tag
        self.pause = pause
        self.mix_reads = mix_reads
        self.acked: list[tuple[str, str]] = []  # (id, name) answered 201
        self.statuses: dict[int, int] = {}
        self.unexpected: list[str] = []
        self.connection_errors = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WRITERS)]

    def start(self) -> "Writers":
        for t in self.threads:
            t.start()
        return self

    def _run(self, worker: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        i = 0
        while not self.stop.is_set():
            i += 1
            name = f"{self.tag}-w{worker}-{i}-{secrets.token_hex(3)}"
            try:
                if self.mix_reads and i % 2 == 0:
                    r = session.get(self.base + "/orgs?limit=5", timeout=10)
                else:
                    r = session.post(self.base + "/orgs", json={"name": name, "kind": "defender"}, timeout=10)
            except requests.RequestException:
                with self.lock:
                    self.connection_errors += 1
                if self.stop.wait(0.05):
                    break
                continue
            with self.lock:
                self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
                if r.request.method == "POST" and r.status_code == 201:
                    body = r.json()
                    self.acked.append((body["id"], body["name"]))
                    if body["name"] != name:
                        self.unexpected.append(f"201 for {name!r} returned name {body['name']!r}")
                elif r.status_code >= 500 or (r.request.method == "POST" and r.status_code != 201) \
                        or (r.request.method == "GET" and r.status_code != 200):
                    self.unexpected.append(f"{r.request.method} {r.url} -> {r.status_code} {r.text[:200]}")
            if self.pause:
                time.sleep(self.pause)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.acked) >= count:
                    return
            time.sleep(0.01)
        raise AssertionError(f"only {len(self.acked)} organisations acknowledged in {timeout}s "
                             f"(statuses {self.statuses}, errors {self.unexpected[:3]})")

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)


def _crash_rounds(data_dir: str, database: str | None, env: dict[str, str], rounds: int = 2) -> str:
    first = Server(data_dir=data_dir, database=database, env=env, name="crash-0").start()
    check(first.password, "the first start printed no administrator password")
    token = first.mint_token()
    server = first
    total_acked: list[tuple[str, str]] = []
    in_flight_errors = 0
    for round_no in range(1, rounds + 1):
        writers = Writers(server.base_url, token, tag=f"crash{round_no}").start()
        writers.wait_for(60)
        server.kill()  # SIGKILL while the writers are still posting
        killed_at = len(writers.acked)
        time.sleep(0.3)
        writers.finish()
        check(not writers.unexpected, f"round {round_no}: unexpected answers before the kill: {writers.unexpected[:3]}")
        total_acked += writers.acked
        in_flight_errors += writers.connection_errors

        server = Server(data_dir=data_dir, database=database, env=env, name=f"crash-{round_no}").start()
        check(server.password is None, "the restart after SIGKILL created a new administrator (printed a password)")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"
        me = api.get(server.base_url + "/api/v1/me", timeout=10)
        check(me.status_code == 200, f"round {round_no}: the token stopped working after the crash ({me.status_code})")
        lost = []
        for org_id, name in total_acked:
            r = api.get(f"{server.base_url}/api/v1/orgs/{org_id}", timeout=10)
            if r.status_code != 200 or r.json().get("name") != name:
                lost.append(f"{org_id} ({name}) -> {r.status_code}")
        check(not lost, f"round {round_no}: {len(lost)} of {len(total_acked)} acknowledged organisations lost "
                        f"after SIGKILL: {lost[:5]}")
        check(killed_at > 0, "nothing was acknowledged before the kill")

    server.stop()
    verify = audit_verify(data_dir, database, env=server.env)
    check(verify.returncode == 0,
          f"audit verify after SIGKILL exited {verify.returncode}: {(verify.stdout + verify.stderr).strip()}")
    return (f"{rounds} kills, {len(total_acked)} acknowledged writes all present, "
            f"{in_flight_errors} requests cut off; {verify.stdout.strip()[:80]}")


def test_sigkill_mid_writes_loses_no_acknowledged_write_sqlite():
    return _crash_rounds(temp_dir(), None, {})


def test_sigkill_mid_writes_loses_no_acknowledged_write_postgres():
    require_postgres()
    with postgres_schema() as url:
        return _crash_rounds(temp_dir(), url, {"CLEARINGHOUSE_SECRET_KEY": secret_key()})


def _graceful(data_dir: str, database: str | None, env: dict[str, str]) -> str:
    server = Server(data_dir=data_dir, database=database, env=env, name="graceful").start()
    token = server.mint_token()
    writers = Writers(server.base_url, token, tag="term", pause=0.05, mix_reads=True).start()
    writers.wait_for(20)
    sent_at = time.monotonic()
    code = server.stop(signal.SIGTERM, timeout=15)
    took = time.monotonic() - sent_at
    writers.finish()
    check(code is not None, "the server did not exit within 15s of SIGTERM")
    check(code == 0, f"the server exited with status {code} after SIGTERM, not 0:\n{server.output[-800:]}")
    check(took < 10, f"the server took {took:.1f}s to stop after SIGTERM")
    check(not writers.unexpected, f"answers during shutdown that a client would see as failures: {writers.unexpected[:3]}")
    errors = [line for line in server.output.splitlines() if " error " in line.lower() or "critical" in line.lower()]
    check(not errors, f"the server logged errors while shutting down: {errors[:3]}")
    verify = audit_verify(data_dir, database, env=server.env)
    check(verify.returncode == 0, f"audit verify after SIGTERM: {(verify.stdout + verify.stderr).strip()}")

    again = Server(data_dir=data_dir, database=database, env=env, name="graceful-again").start()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    lost = [i for i, _ in writers.acked if api.get(f"{again.base_url}/api/v1/orgs/{i}", timeout=10).status_code != 200]
    again.stop()
    check(not lost, f"{len(lost)} acknowledged organisations missing after a graceful stop")
    return f"exited 0 in {took:.1f}s with {len(writers.acked)} writes acknowledged; chain valid"


def test_sigterm_during_requests_exits_zero_and_chain_verifies_sqlite():
    return _graceful(temp_dir(), None, {})


def test_sigterm_during_requests_exits_zero_and_chain_verifies_postgres():
    require_postgres()
    with postgres_schema() as url:
        return _graceful(temp_dir(), url, {"CLEARINGHOUSE_SECRET_KEY": secret_key()})
