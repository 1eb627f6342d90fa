// The web shell over real HTTP: sign-in with its CSRF cookie, session cookies with the right
// attributes, CSRF on every signed-in form, administrators' pages closed to others, sign-out.
import Foundation
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Platform
import Server
import Testing
import TestSupport

@Suite("Web pages")
struct WebTests {
    /// The value of cookie `name` in a response's Set-Cookie headers.
    func cookie(_ name: String, in response: TestResponse) -> (value: String, attributes: String)? {
        for header in response.headers[values: .setCookie] where header.hasPrefix("\(name)=") {
            let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), header)
        }
        return nil
    }

    func hiddenCSRF(_ html: String) -> String? {
        guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    func form(_ fields: [String: String]) -> String {
        fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
    }

    func signIn(_ h: Harness, name: String = "admin", password: String) async throws -> (TestResponse, String?) {
        let page = try await h.request(.get, "/login")
        #expect(!page.text.contains("role=\"alert\""), "a fresh sign-in page shows no error")
        let csrfCookie = try #require(cookie("ch_login_csrf", in: page))
        let token = try #require(hiddenCSRF(page.text))
        #expect(token == csrfCookie.value)
        let response = try await h.request(
            .post, "/login", json: form(["username": name, "password": password, "_csrf": token]),
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "ch_login_csrf=\(token)"])
        return (response, cookie("ch_session", in: response)?.value)
    }

    @Test("signing in sets an HttpOnly, SameSite=Lax session cookie and opens the home page")
    func signInFlow() async throws {
        try await Harness.run { h in
            let anonymousHome = try await h.request(.get, "/")
            #expect(anonymousHome.status == .seeOther || anonymousHome.status == .found)
            #expect(anonymousHome.headers[.location]?.hasPrefix("/login") == true)
            let (wrong, noSession) = try await signIn(h, password: "not the password")
            #expect(wrong.status == .unauthorized && noSession == nil)
            #expect(wrong.text.contains("The user name or password is not right."))
            let (response, session) = try await signIn(h, password: h.adminPassword)
            #expect(response.status == .found)
            let attributes = try #require(cookie("ch_session", in: response)?.attributes)
            #expect(attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"))
            let secret = try #require(session)
            let home = try await h.request(.get, "/", headers: [.cookie: "ch_session=\(secret)"])
            #expect(home.status == .ok)
            #expect(home.text.contains("Signed in as <strong>admin</strong>"))
            #expect(home.text.contains("Never a gate"))
            #expect(home.headers[.contentSecurityPolicy] != nil)
        }
    }

    @Test("a sign-in post without the CSRF cookie is refused")
    func loginCSRF() async throws {
        try await Harness.run { h in
            let response = try await h.request(
                .post, "/login", json: form(["username": "admin", "password": h.adminPassword, "_csrf": "guess"]),
                headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(response.status == .forbidden)
            #expect(cookie("ch_session", in: response) == nil)
        }
    }

    @Test("signed-in forms need the session's CSRF token; administrators' pages are closed to members")
    func formsAndAdminPages() async throws {
        try await Harness.run { h in
            let (_, session) = try await signIn(h, password: h.adminPassword)
            let secret = try #require(session)
            let cookieHeader: HTTPFields = [.cookie: "ch_session=\(secret)", .contentType: "application/x-www-form-urlencoded"]
            let orgsPage = try await h.request(.get, "/admin/orgs", headers: cookieHeader)
            #expect(orgsPage.status == .ok)
            let csrf = try #require(hiddenCSRF(orgsPage.text))
            let forged = try await h.request(.post, "/admin/orgs", json: form(["name": "Forged", "kind": "defender", "_csrf": "nope"]), headers: cookieHeader)
            #expect(forged.status == .forbidden)
            #expect(try await h.directory.organisation(named: "Forged") == nil)
            let created = try await h.request(.post, "/admin/orgs", json: form(["name": "County Water", "kind": "defender", "_csrf": csrf]), headers: cookieHeader)
            #expect(created.status == .seeOther || created.status == .found)
            #expect(try await h.directory.organisation(named: "County Water")?.kind == .defender)
            let org = try #require(try await h.directory.organisation(named: "County Water"))
            let userPage = try await h.request(
                .post, "/admin/users", json: form(["name": "operator", "org": org.id, "role": "member", "_csrf": csrf]), headers: cookieHeader)
            #expect(userPage.status == .created)
            #expect(userPage.text.contains("is shown this once"))
            // The member signs in and finds the administration pages do not exist for them.
            let password = try #require(userPage.text.range(of: #"<code class="secret">"#).map { userPage.text[$0.upperBound...].prefix { $0 != "<" } })
            let (_, memberSession) = try await signIn(h, name: "operator", password: String(password))
            let member = try #require(memberSession)
            #expect(try await h.request(.get, "/admin/users", headers: [.cookie: "ch_session=\(member)"]).status == .notFound)
            #expect(try await h.request(.get, "/tokens", headers: [.cookie: "ch_session=\(member)"]).status == .ok)
            // A new password from the administrator ends the member's sessions and is shown once.
            let operatorUser = try #require(try await h.directory.user(named: "operator"))
            let reset = try await h.request(.post, "/admin/users/\(operatorUser.id)/password", json: form(["_csrf": csrf]), headers: cookieHeader)
            #expect(reset.status == .ok && reset.text.contains("is shown this once"))
            #expect(try await h.request(.get, "/tokens", headers: [.cookie: "ch_session=\(member)"]).status != .ok)
            let disabled = try await h.request(.post, "/admin/users/\(operatorUser.id)/disable", json: form(["_csrf": csrf]), headers: cookieHeader)
            #expect(disabled.text.contains("Disabled operator."))
            #expect(try await h.directory.user(named: "operator")?.disabled == true)
            // Audit page lists what happened, newest first.
            let audit = try await h.request(.get, "/admin/audit?action=user.create", headers: cookieHeader)
            #expect(audit.text.contains("user.create"))
            // Signing out ends the session for every process: the cookie no longer works.
            let out = try await h.request(.post, "/logout", json: form(["_csrf": csrf]), headers: cookieHeader)
            #expect(out.status == .found)
            let after = try await h.request(.get, "/admin/orgs", headers: cookieHeader)
            #expect(after.status == .seeOther || after.status == .found)
        }
    }

    @Test("a token created on the web is shown once and works on the API")
    func webToken() async throws {
        try await Harness.run { h in
            let (_, session) = try await signIn(h, password: h.adminPassword)
            let secret = try #require(session)
            let headers: HTTPFields = [.cookie: "ch_session=\(secret)", .contentType: "application/x-www-form-urlencoded"]
            let page = try await h.request(.get, "/tokens", headers: headers)
            let csrf = try #require(hiddenCSRF(page.text))
            let created = try await h.request(.post, "/tokens", json: form(["label": "laptop", "scope": "", "_csrf": csrf]), headers: headers)
            #expect(created.status == .created)
            let token = try #require(created.text.range(of: #"id="new-token">"#).map { created.text[$0.upperBound...].prefix { $0 != "<" } })
            #expect(try await h.request(.get, "/api/v1/me", token: String(token)).status == .ok)
            let again = try await h.request(.get, "/tokens", headers: headers)
            #expect(!again.text.contains(String(token)))
        }
    }

    @Test("the vulnerability triage queue and case page show priority, embargo and timeline, and move the case by form", arguments: Engine.available)
    func vulnerabilityPages(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, cookie) = try await signIn(h, password: h.adminPassword)
            let session = "ch_session=\(try #require(cookie))"
            let made = try await h.request(.post, "/api/v1/vulns/reports", token: h.adminToken,
                json: #"{"title":"Overflow <b>in</b> inflate","evidence":[{"name":"poc","content_base64":"AA==","reproducer":true}]}"#)
            let id = try #require(try made.json()["case_id"] as? String)
            let queue = try await h.request(.get, "/vulns", headers: [.cookie: session])
            #expect(queue.status == .ok)
            #expect(queue.text.contains("Overflow &lt;b&gt;in&lt;/b&gt; inflate") && queue.text.contains("aria-current=\"page\">Vulnerabilities"))
            #expect(queue.text.contains("<caption>1 cases on this page</caption>"))
            let filtered = try await h.request(.get, "/vulns?state=fixed", headers: [.cookie: session])
            #expect(filtered.text.contains("<caption>0 cases on this page</caption>"))
            let page = try await h.request(.get, "/vulns/cases/\(id)", headers: [.cookie: session])
            #expect(page.text.contains("SSVC not decided yet") && page.text.contains("No vendor notified yet"))
            let csrf = try #require(hiddenCSRF(page.text))
            let moved = try await h.request(.post, "/vulns/cases/\(id)/transition", json: form(["_csrf": csrf, "state": "triage", "reason": "first look"]),
                                            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: session])
            #expect(moved.status.code == 303 || moved.status.code == 302)
            let after = try await h.request(.get, "/vulns/cases/\(id)", headers: [.cookie: session])
            #expect(after.text.contains("<td>first look</td>"))
            let forged = try await h.request(.post, "/vulns/cases/\(id)/transition", json: form(["_csrf": "x", "state": "validated", "reason": "r"]),
                                             headers: [.contentType: "application/x-www-form-urlencoded", .cookie: session])
            #expect(forged.status == .forbidden)
        }
    }
}
