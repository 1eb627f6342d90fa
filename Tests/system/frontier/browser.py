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
        driver = _driver()
        try:
            walk = Walk(driver, server)
            # The developer does everything through the pages' forms.
            _sign_in(walk, "dev", "a long test password 1")
            walk.open("/frontier")
            walk.find("#model-name", "the model name field").send_keys("Atlas")
            walk.submit("form[action='/frontier/models']")
            walk.inspect("frontier-model", "Atlas", links=False)
            for field, value in [("#v-version", "1.0"), ("#v-params", "4e11"), ("#v-tokens", "3e13"),
                                 ("#v-url", "https://lab.example/v1"), ("#v-cred", "sk-x")]:
                walk.find(field, field).send_keys(value)
            walk.submit("form[action$='/versions']")
            check("Atlas 1.0" in walk.find("main h1", "heading").text, "adding a version did not lead to its page")
            version_id = walk.path().rsplit("/", 1)[-1]
            walk.find("#l-label", "ledger label").send_keys("RL")
            from selenium.webdriver.support.ui import Select
            Select(walk.find("#l-cat", "category")).select_by_value("reinforcement-learning")
            walk.find("#l-flop", "declared FLOP").send_keys("3e25")
            walk.submit("form[action$='/ledger']")
            check("declared 3.00e+25 FLOP" in walk.text(), "the ledger item is not listed")
            walk.find("#q-text", "question").send_keys("Is Atlas covered?")
            Select(walk.find("#q-org", "government organisation")).select_by_visible_text("CAISI")
            walk.submit("form[action$='/inquiries']")
            today = datetime.datetime.now(datetime.timezone.utc).date()
            _date(walk, "#w-start", today)
            _date(walk, "#w-end", today + datetime.timedelta(days=20))
            # Invitees are check boxes (several may be invited at once), one per organisation id.
            walk.find(f"#w-inv-{people['partner'][0]}", "the Red Team invitee check box").click()
            walk.submit("form[action$='/windows']")
            check("remaining" in walk.text(), "the window clock is not shown in words")
            v = {"id": version_id}

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
            # The invitee reads and accepts the terms on the window's own page.
            window_path = walk.find("a[href^='/frontier/windows/']", "the link to the access window").get_attribute("href")
            walk.driver.get(window_path)
            walk.inspect("frontier-window-partner", "Access window for Atlas 1.0", links=False)
            walk.find("#accept-confirm", "the acceptance check box").click()
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


def _date(walk, css, day):
    # Chromium's date input takes the digits in the locale's order (en-US: month, day, year).
    walk.find(css, css).send_keys(day.strftime("%m%d%Y"))


def _user_id(server, admin, name):
    users = requests.get(server.base_url + "/api/v1/users", headers={"Authorization": f"Bearer {admin}"}, timeout=10).json()["items"]
    return next(u["id"] for u in users if u["name"] == name)
