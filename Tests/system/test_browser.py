"""The web shell in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven
by Selenium. An administrator signs in with the first-start password, walks every page, adds an
organisation, a user and a token through the forms, and signs out. Each page must show what it
promises, log no console error, have no serious or critical axe-core violation, and every link on
it must lead to a page that loads. Screenshots go to ci-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import urllib.parse

import requests

from harness import ARTIFACTS, Server, Skip, check

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
SCREENSHOTS = ARTIFACTS / "screenshots"


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        check(os.path.exists(binary), f"{binary} is missing (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager go looking for drivers
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    return driver


class Walk:
    """The browser session plus everything the checks collect along the way."""

    def __init__(self, driver, server: Server):
        from axe_selenium_python import Axe

        self.driver = driver
        self.server = server
        self.axe = Axe(driver)
        self.origin = server.base_url
        self.links: dict[str, str] = {}  # absolute URL -> page it was found on
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.shots = 0
        self.checked_links = 0
        self.axe_rules = 0

    # -- finding things ---------------------------------------------------------------------------

    def find(self, css: str, what: str):
        from selenium.webdriver.common.by import By

        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        check(found, f"{self.path()}: missing {what} ({css})")
        return found[0]

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def text(self) -> str:
        return self.find("body", "page body").text

    # -- navigation -------------------------------------------------------------------------------

    def open(self, path: str):
        self.driver.get(self.origin + path)
        self.find("main h1", "the page heading")

    def submit(self, form_css: str):
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("html", "document")
        self.find(f"{form_css} button[type=submit]", f"the submit button of {form_css}").click()
        WebDriverWait(self.driver, 15).until(lambda d: _stale(old))
        self.find("main h1", "the page heading after submitting")

    # -- the checks every page gets ---------------------------------------------------------------

    def inspect(self, name: str, expect_h1: str | None = None, expected_status: int | None = None,
                links: bool = True):
        page = self.path()
        if expect_h1 is not None:
            h1 = self.find("main h1", "the page heading").text
            check(expect_h1.lower() in h1.lower(), f"{page}: heading is {h1!r}, expected it to say {expect_h1!r}")
        check(self.driver.title.strip(), f"{page}: the page has no <title>")
        self._console(page, expected_status)
        self._axe(page)
        if links:
            self._collect_links(page)
        self._screenshot(name)

    def _console(self, page: str, expected_status: int | None = None):
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if (expected_status and self.driver.current_url.split("#")[0] in message
                    and f"status of {expected_status}" in message):
                continue  # the page itself answered the error status the test asked for
            if entry.get("level") == "SEVERE":
                self.problems.append(f"{page}: console error: {entry.get('message')}")
            elif entry.get("level") == "WARNING":
                self.notes.append(f"{page}: console warning: {entry.get('message')}")

    def _axe(self, page: str):
        self.axe.inject()
        results = self.axe.run()
        check(results.get("passes"), f"{page}: axe-core did not run (no rule results)")
        self.axe_rules = max(self.axe_rules, len(results.get("passes", [])) + len(results.get("violations", [])))
        for violation in results.get("violations", []):
            nodes = [" ".join(n.get("target", []) if isinstance(n.get("target"), list) else [str(n.get("target"))])
                     for n in violation.get("nodes", [])]
            line = (f"{page}: axe {violation.get('impact')} {violation['id']}: {violation.get('help')} "
                    f"on {', '.join(nodes[:5])}{' …' if len(nodes) > 5 else ''}")
            if violation.get("impact") in ("serious", "critical"):
                self.problems.append(line)
            else:
                self.notes.append(line)

    def _collect_links(self, page: str):
        for a in self.all("a[href]") + self.all("link[href]"):
            href = a.get_attribute("href") or ""
            url = urllib.parse.urldefrag(href)[0]
            if url.startswith(self.origin + "/") or url == self.origin:
                self.links.setdefault(url, page)

    def check_links(self):
        """Fetches every same-origin link collected so far with this browser's cookies."""
        session = requests.Session()
        for c in self.driver.get_cookies():
            session.cookies.set(c["name"], c["value"])
        broken = []
        for url, found_on in sorted(self.links.items()):
            try:
                r = session.get(url, timeout=10, allow_redirects=True)
                if r.status_code != 200:
                    broken.append(f"{url} (on {found_on}) -> {r.status_code}")
            except requests.RequestException as error:
                broken.append(f"{url} (on {found_on}) -> {type(error).__name__}")
        self.checked_links += len(self.links)
        self.links.clear()
        check(not broken, "broken links: " + "; ".join(broken))

    def _screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        height = self.driver.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        self.driver.set_window_size(1280, max(1000, min(int(height) + 140, 6000)))
        self.driver.save_screenshot(str(SCREENSHOTS / f"{self.shots:02d}-{name}.png"))
        self.driver.set_window_size(1280, 1000)

    # -- keyboard -------------------------------------------------------------------------------

    def check_skip_link_first(self):
        """From the top of a freshly loaded page, the first Tab lands on the skip link, which is then
        visible, and Enter moves focus to the main content."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        page = self.path()
        self.driver.refresh()
        self.find("main h1", "the page heading")
        ActionChains(self.driver).send_keys(Keys.TAB).perform()
        active = self.driver.switch_to.active_element
        href = active.get_attribute("href") or ""
        check(active.tag_name == "a" and href.endswith("#main"),
              f"{page}: first Tab focused <{active.tag_name}> {active.text!r} ({href}), not the skip link")
        check("skip" in active.text.lower(), f"{page}: the skip link reads {active.text!r}")
        rect = self.driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height];", active)
        check(active.is_displayed() and rect[2] > 1 and rect[3] > 1 and rect[0] >= 0 and rect[1] >= 0,
              f"{page}: the focused skip link is not visible on screen (box {rect})")
        active.send_keys(Keys.ENTER)
        focused = self.driver.execute_script("return document.activeElement && document.activeElement.id")
        check(focused == "main", f"{page}: Enter on the skip link left focus on #{focused}, not #main")


def _stale(element) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        # While the old document is being replaced Chromium may answer for its node with this
        # inspector error instead of a stale-element one: it means the same thing.
        if "does not belong to the document" in str(error):
            return True
        raise


def _select(element, visible_text: str):
    from selenium.webdriver.support.ui import Select

    Select(element).select_by_visible_text(visible_text)


def test_browser_admin_walkthrough():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)) and os.environ.get("CI") != "true":
        raise Skip(f"{CHROMIUM} or {CHROMEDRIVER} not installed (CI installs them)")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    server = Server(name="browser").start()
    check(server.password, "the first start printed no administrator password")
    driver = _driver()
    walk = Walk(driver, server)
    try:
        _walkthrough(walk, server)
    finally:
        driver.quit()
        print(f"screenshots: {SCREENSHOTS}", flush=True)
        for note in walk.notes:
            print(f"  note: {note}", flush=True)
        for problem in walk.problems:
            print(f"  problem: {problem}", flush=True)
    if walk.problems:
        raise AssertionError(f"{len(walk.problems)} problem(s), first: {walk.problems[0]}")
    return f"{walk.shots} pages, {walk.checked_links} links checked, axe ({walk.axe_rules} rules applied), screenshots in {SCREENSHOTS}"


def _walkthrough(walk: Walk, server: Server):
    # Signing in.
    walk.open("/login")
    walk.find("form[action='/login'] input[name=_csrf]", "the sign-in form's CSRF field")
    walk.find("label[for=username]", "a label for the user name")
    walk.find("label[for=password]", "a label for the password")
    walk.inspect("login", "Sign in")
    walk.check_skip_link_first()
    walk.find("#username", "the user name field").send_keys("admin")
    walk.find("#password", "the password field").send_keys("not the password")
    walk.submit("form[action='/login']")
    check("/login" in walk.path() or "sign in" in walk.find("main h1", "heading").text.lower(),
          f"a wrong password led to {walk.path()} instead of the sign-in page")
    check(not walk.all("nav[aria-label=Main]"), "a wrong password signed the administrator in")
    # A refused sign-in answers 401 with the form again; that status is expected here.
    walk.inspect("login-failed", "Sign in", expected_status=401)
    walk.find("#username", "the user name field").clear()
    walk.find("#username", "the user name field").send_keys("admin")
    walk.find("#password", "the password field").send_keys(server.password)
    walk.submit("form[action='/login']")
    check(walk.path() == "/", f"signing in led to {walk.path()}, not the home page")
    cookie_names = {c["name"]: c for c in walk.driver.get_cookies()}
    check("ch_session" in cookie_names, f"no ch_session cookie after signing in (cookies: {sorted(cookie_names)})")
    check(cookie_names["ch_session"].get("httpOnly"), "the session cookie is not HttpOnly")

    # Home.
    walk.find("nav[aria-label=Main]", "the main navigation")
    check("Signed in as" in walk.text() and "admin" in walk.text(), "the header does not say who is signed in")
    for href in ("/tokens", "/admin/orgs", "/admin/users", "/admin/tokens", "/admin/audit"):
        walk.find(f"nav a[href='{href}']", f"a navigation link to {href}")
    walk.find("form[action='/logout'] input[name=_csrf]", "the sign-out form with its CSRF field")
    walk.inspect("home", "Clearinghouse")
    walk.check_skip_link_first()

    # My tokens: create one through the form; it is shown once and works against the API.
    walk.open("/tokens")
    walk.find("form[action='/tokens'] input[name=_csrf]", "the create-token form")
    walk.inspect("tokens")
    walk.find("#token-label", "the token label field").send_keys("browser test token")
    walk.submit("form[method=post][action='/tokens']")
    secret = walk.find("#new-token", "the new token, shown once").text.strip()
    check(len(secret) >= 20, f"the token shown is implausibly short: {secret!r}")
    check("browser test token" in walk.text(), "the new token is not listed by its label")
    walk.inspect("tokens-created")
    me = requests.get(server.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    check(me.status_code == 200, f"the token made in the browser does not work: GET /api/v1/me -> {me.status_code}")
    walk.open("/tokens")
    check(secret not in walk.driver.page_source, "the token secret is shown again after leaving the page")

    # Organisations: add one through the form.
    walk.open("/admin/orgs")
    walk.find("table caption", "the organisations table")
    walk.inspect("admin-orgs", "Organisations")
    org_name = "Browser Test Agency"
    walk.find("#org-name", "the organisation name field").send_keys(org_name)
    _select(walk.find("#org-kind", "the organisation kind list"), "government")
    walk.submit("form[method=post][action='/admin/orgs']")
    check(org_name in walk.find("table", "the organisations table").text,
          f"{org_name!r} is not listed after adding it")
    walk.inspect("admin-orgs-added", "Organisations")

    # Users: add one to that organisation; the generated password is shown once.
    walk.open("/admin/users")
    walk.find("table caption", "the users table")
    walk.inspect("admin-users", "Users")
    walk.find("#user-name", "the user name field").send_keys("browser.reviewer")
    _select(walk.find("#user-org", "the organisation list"), org_name)
    _select(walk.find("#user-role", "the role list"), "reviewer")
    walk.submit("form[method=post][action='/admin/users']")
    generated = walk.find("code.secret", "the generated password, shown once").text.strip()
    check(len(generated) >= 12, f"the generated password is implausibly short: {generated!r}")
    row = [r.text for r in walk.all("table tbody tr") if "browser.reviewer" in r.text]
    check(row and org_name in row[0] and "reviewer" in row[0],
          f"the new user's row does not show its organisation and role: {row}")
    walk.inspect("admin-users-added", "Users")
    walk.open("/admin/users")
    check(generated not in walk.driver.page_source, "the generated password is shown again")

    # All tokens and the audit log.
    walk.open("/admin/tokens")
    check("browser test token" in walk.find("table", "the tokens table").text, "the admin token list misses the new token")
    walk.inspect("admin-tokens")
    walk.open("/admin/audit")
    walk.find("code.hash", "the current head hash")
    walk.find("#f-action", "the action filter")
    walk.inspect("admin-audit", "Audit log")
    walk.find("#f-action", "the action filter").send_keys("org.create")
    walk.submit("form.filters")
    rows = walk.all("table tbody tr")
    check(rows, "filtering the audit log by action org.create shows nothing")
    check(all("org.create" in r.text for r in rows), "the action filter let other actions through")
    check(any(org_name in r.text for r in rows), f"the audit log does not show the creation of {org_name!r}")
    check("action=org.create" in walk.path(), f"the filtered audit view has no linkable URL: {walk.path()}")
    walk.inspect("admin-audit-filtered", "Audit log")

    # The defender home and remediation list (an administrator is a coordinator: the organisation picker shows).
    walk.open("/defender")
    walk.inspect("defender-home", "Defender home")
    walk.open("/defender/remediation?status=open&overdue=true")
    walk.inspect("defender-remediation", "Remediation deadlines")

    # Every same-origin link seen on the way loads (200 directly or after redirects).
    walk.check_links()

    # Sign out; the admin pages then need signing in again.
    walk.open("/")
    walk.submit("form[action='/logout']")
    check(not walk.all("nav[aria-label=Main]"), "still signed in after signing out")
    walk.driver.get(server.base_url + "/admin/users")
    check("/login" in walk.path() or walk.all("#password"),
          f"/admin/users after signing out shows {walk.path()} instead of the sign-in page")

    # The new reviewer can sign in with the generated password and sees no administration.
    walk.open("/login")
    walk.find("#username", "the user name field").send_keys("browser.reviewer")
    walk.find("#password", "the password field").send_keys(generated)
    walk.submit("form[action='/login']")
    check(walk.path() == "/", f"the new reviewer's sign-in led to {walk.path()}")
    check(not walk.all("nav a[href='/admin/orgs']"), "a reviewer sees the administration links")
    walk.inspect("home-reviewer", "Clearinghouse")
    walk.driver.get(server.base_url + "/admin/orgs")
    check("Add an organisation" not in walk.driver.page_source, "a reviewer can open the organisation administration")
    status = requests.get(server.base_url + "/admin/orgs", cookies={c["name"]: c["value"] for c in walk.driver.get_cookies()},
                          allow_redirects=False, timeout=10).status_code
    check(status in (403, 404), f"a reviewer's GET /admin/orgs answered {status}, expected 403 or 404")
    walk.inspect("admin-orgs-as-reviewer", expected_status=status, links=False)
    walk.check_links()
