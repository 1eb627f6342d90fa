"""Several server processes on one PostgreSQL database behave as one installation: the first-start
administrator is created once even when both start together, and tokens, records and web sessions
made through one process work through the other. Skipped without CLEARINGHOUSE_TEST_POSTGRES_URL."""

from __future__ import annotations

import requests

from harness import Server, audit_verify, check, csrf_of, postgres_schema, require_postgres, secret_key, temp_dir, web_login


SIMULTANEOUS_STARTS = 10


def test_two_servers_starting_together_on_an_empty_postgres_database():
    """Both processes start at the same moment on an empty database (what an orchestrator that
    starts replicas together does): both must come up, and exactly one prints the password. The
    race is timing-dependent, so it is run several times, each on a fresh schema."""
    require_postgres()
    for attempt in range(1, SIMULTANEOUS_STARTS + 1):
        with postgres_schema() as url:
            env = {"CLEARINGHOUSE_SECRET_KEY": secret_key()}
            pair = [Server(data_dir=temp_dir(), database=url, env=env, name=f"start{attempt}-{n}") for n in "ab"]
            for s in pair:
                s.launch()
            failures = []
            for s in pair:
                try:
                    s.wait_listening()
                except AssertionError as error:
                    failures.append(" ".join(str(error).split())[:300])
            check(not failures, f"attempt {attempt}: a server failed to start beside another: {failures[:1]}")
            printed = [s.name for s in pair if s.password]
            check(len(printed) == 1, f"attempt {attempt}: the first-start password was printed by "
                                     f"{printed or 'neither'}, expected exactly one server")
            token = pair[0].mint_token()
            users = pair[1].api(token).get("/users?limit=500").json()["items"]
            admins = [u for u in users if u["name"] == "admin"]
            check(len(admins) == 1, f"attempt {attempt}: {len(admins)} users named admin")
            for s in pair:
                s.stop()
    return f"{SIMULTANEOUS_STARTS} simultaneous first starts: both up, one password, one admin each time"


def test_two_servers_on_one_postgres_database_act_as_one():
    require_postgres()
    with postgres_schema() as url:
        env = {"CLEARINGHOUSE_SECRET_KEY": secret_key()}
        a = Server(data_dir=temp_dir(), database=url, env=env, name="server-a").start()
        b = Server(data_dir=temp_dir(), database=url, env=env, name="server-b").start()
        printed = [s.name for s in (a, b) if s.password]
        check(printed == ["server-a"], f"the first-start password was printed by {printed or 'neither'}, "
                                       "expected only the first server")
        password = a.password

        # One administrator exists, whichever process created it.
        bootstrap = a.mint_token()
        users_b = requests.get(b.base_url + "/api/v1/users?limit=500", timeout=10,
                               headers={"Authorization": f"Bearer {bootstrap}"})
        check(users_b.status_code == 200, f"B: GET /users answered {users_b.status_code}")
        admins = [u for u in users_b.json()["items"] if u["name"] == "admin"]
        check(len(admins) == 1, f"{len(admins)} users named admin after a simultaneous first start")

        # A token minted through A's API works on B, and revoking it on B is seen by A.
        api_a = a.api(bootstrap)
        made = api_a.post("/tokens", {"label": "made on A"})
        check(made.status_code == 201, f"A: POST /tokens answered {made.status_code}")
        token = made.json()["secret"]
        me_b = requests.get(b.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        check(me_b.status_code == 200, f"a token made on A answers {me_b.status_code} on B")

        # An organisation created on A is listed and readable on B.
        org = api_a.post("/orgs", {"name": "Made On A", "kind": "trusted-partner"})
        check(org.status_code == 201, f"A: POST /orgs answered {org.status_code}")
        org_id = org.json()["id"]
        api_b = b.api(token)
        listed = api_b.get("/orgs?limit=500")
        check(org_id in [o["id"] for o in listed.json()["items"]], "B's organisation list misses the one created on A")
        check(api_b.get(f"/orgs/{org_id}").status_code == 200, "B cannot read the organisation created on A")

        # A web session started on A is valid on B, and signing out on B ends it on A too.
        session = web_login(a.base_url, "admin", password)
        home_b = session.get(b.base_url + "/", timeout=10, allow_redirects=False)
        check(home_b.status_code == 200 and "Signed in as" in home_b.text,
              f"A's session cookie is not signed in on B (GET / -> {home_b.status_code})")
        orgs_b = session.get(b.base_url + "/admin/orgs", timeout=10)
        check("Made On A" in orgs_b.text, "B's organisation page misses the organisation created on A")
        out = session.post(b.base_url + "/logout", data={"_csrf": csrf_of(home_b.text)}, timeout=10, allow_redirects=False)
        check(out.status_code in (302, 303), f"signing out on B answered {out.status_code}")
        after = requests.get(a.base_url + "/", timeout=10, allow_redirects=False,
                             cookies={"ch_session": session.cookies.get("ch_session") or ""})
        check(after.status_code in (302, 303, 401) or "Signed in as" not in after.text,
              "a session signed out on B is still signed in on A")

        # Revoking the token on B is seen by A at once.
        revoked = api_b.delete(f"/tokens/{made.json()['token']['id']}")
        check(revoked.status_code in (200, 204), f"B: DELETE /tokens/{{id}} answered {revoked.status_code}")
        me_a = requests.get(a.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        check(me_a.status_code == 401, f"a token revoked on B still answers {me_a.status_code} on A")

        for s in (a, b):
            check(s.stop() == 0, f"{s.name} did not stop cleanly")
        verify = audit_verify(a.data_dir, url, env=a.env)
        check(verify.returncode == 0, f"audit verify: {(verify.stdout + verify.stderr).strip()}")
        return f"password printed by {printed[0]}; token, org, session and revocation shared; {verify.stdout.strip()[:40]}"
