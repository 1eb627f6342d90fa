"""The frontier pages in headless Chromium with axe-core: a developer's model version (chart,
verdicts, windows, inquiries), the reviewer's designation form, the invitee's accept form, the
landscape with Epoch's models, and the developer releasing from the page. Uses the shared system
harness (Tests/system/harness.py) and the browser walk of Tests/system/test_browser.py."""
import datetime, os, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import requests  # noqa: E402
from harness import BIN, Server, check, cleanup_all  # noqa: E402
from test_browser import Walk, _driver  # noqa: E402


def _api(server, token, method, path, body=None):
    r = requests.request(method, server.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    check(r.status_code < 300, f"{method} {path} -> {r.status_code} {r.text[:300]}")
    return r.json() if r.text else {}


def _sign_in(walk, name, password):
    walk.driver.delete_all_cookies()
    walk.open("/login")
    walk.find("#username", "user name").send_keys(name)
    walk.find("#password", "password").send_keys(password)
    walk.submit("form[action='/login']")
    # The installation serves no /favicon.ico, and Chromium reports the 404 on the first page of a
    # session; that belongs to the shell, not to these pages, so only that entry is set aside.
    for entry in walk.driver.get_log("browser"):
        if "favicon.ico" not in entry.get("message", ""):
            walk.problems.append(f"sign-in: console: {entry.get('message')}")


def run(epoch_csv=None):
    server = Server().start()
    try:
        admin = subprocess.run([BIN, "admin", "token", "create", "--user", "admin", "--data-dir", server.data_dir],
                               capture_output=True, text=True, check=True).stdout.strip().split()[-1]
        if epoch_csv:
            subprocess.run([BIN, "frontier", "import-epoch", epoch_csv, "--data-dir", server.data_dir], check=True, capture_output=True)
        people = {}
        for org, kind, user, role in [("Lab", "ai-developer", "dev", "member"), ("CAISI", "government", "rev", "reviewer"),
                                      ("Red Team", "trusted-partner", "partner", "member")]:
            o = _api(server, admin, "POST", "/api/v1/orgs", {"name": org, "kind": kind})
            _api(server, admin, "POST", "/api/v1/users", {"name": user, "org": o["id"], "role": role, "password": "a long test password 1"})
            t = _api(server, admin, "POST", "/api/v1/tokens", {"label": "t", "user_id": _user_id(server, admin, user)})
            people[user] = (o["id"], t["secret"])
        dev = people["dev"][1]
        m = _api(server, dev, "POST", "/api/v1/frontier/models", {"name": "Atlas"})
        v = _api(server, dev, "POST", f"/api/v1/frontier/models/{m['id']}/versions",
                 {"version": "1.0", "total_parameters": 4e11, "training_tokens": 3e13, "endpoint_url": "https://lab.example/v1", "endpoint_credential": "sk-x"})
        _api(server, dev, "POST", f"/api/v1/frontier/versions/{v['id']}/ledger", {"label": "RL", "category": "reinforcement-learning", "flop": 3e25})
        _api(server, dev, "POST", f"/api/v1/frontier/versions/{v['id']}/inquiries", {"question": "Is Atlas covered?", "government_orgs": [people["rev"][0]]})
        now = datetime.datetime.now(datetime.timezone.utc)
        _api(server, dev, "POST", f"/api/v1/frontier/versions/{v['id']}/windows", {
            "starts_at": (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ends_at": (now + datetime.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"), "invitees": [people["partner"][0]]})

        driver = _driver()
        try:
            walk = Walk(driver, server)
            _sign_in(walk, "rev", "a long test password 1")
            walk.open(f"/frontier/versions/{v['id']}")
            walk.inspect("frontier-version-reviewer", "Atlas 1.0", links=False)
            walk.find("#r-" + _api(server, people["rev"][1], "GET", f"/api/v1/frontier/versions/{v['id']}")["inquiries"][0]["id"], "the rationale field")
            walk.find("textarea[name=rationale]", "the rationale").send_keys("above the capability line")
            walk.submit("form[action*='/designations']")
            check("covered" in walk.text(), "the designation is not shown after recording it")

            _sign_in(walk, "partner", "a long test password 1")
            walk.open(f"/frontier/versions/{v['id']}")
            walk.inspect("frontier-version-partner", "Atlas 1.0", links=False)
            walk.submit("form[action*='/accept']")
            check("Red Team: accepted terms" in walk.text(), "the acceptance is not shown by organisation name")

            _sign_in(walk, "dev", "a long test password 1")
            walk.open("/frontier")
            walk.inspect("frontier-models", "Frontier models")
            check("above the capability line" in walk.text(), "the developer's inbox does not show the designation")
            walk.open(f"/frontier/versions/{v['id']}")
            walk.find("svg.chart title", "the chart's title")
            check("remaining" in walk.text(), "the window clock is not shown in words")
            walk.inspect("frontier-version", "Atlas 1.0")
            walk.submit("form[action$='/release']")
            check("Released" in walk.text(), "the page does not say the version is released")
            walk.open("/frontier/landscape")
            walk.inspect("frontier-landscape", "Frontier landscape")
            walk.check_links()
        finally:
            driver.quit()
        if walk.problems:
            raise AssertionError(f"{len(walk.problems)} problems, first: {walk.problems[0]}")
        return f"{walk.shots} pages, axe ({walk.axe_rules} rules applied), no serious or critical violation"
    finally:
        server.stop()
        cleanup_all()


def _user_id(server, admin, name):
    users = requests.get(server.base_url + "/api/v1/users", headers={"Authorization": f"Bearer {admin}"}, timeout=10).json()["items"]
    return next(u["id"] for u in users if u["name"] == name)
