// Protection terms as versioned text (API, page and form for administrators) and the window forms
// on the model version page: several invitees at once, extension within the maximum with the
// refusal shown next to its field, and the invitee's window page where it accepts the terms and
// then, only while the window is open, sees the endpoint credential.
import Foundation
import Frontier
import HTTPTypes
import HummingbirdTesting
import Platform
@testable import Server
import Testing
import TestSupport

@Suite("Frontier terms and window pages")
struct FrontierTermsAndWindowPagesTests {
    static func day(_ offset: Int) -> String {
        String(Date().addingTimeInterval(TimeInterval(offset) * 86_400).iso8601.prefix(10))
    }

    struct Session {
        let cookie: String
        var headers: HTTPFields { [.cookie: cookie] }
        var form: HTTPFields { [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"] }
    }

    func session(_ h: Harness, _ name: String, password: String = "member password 1") async throws -> Session {
        let secret = try #require(try await WebTests().signIn(h, name: name, password: password).1)
        return Session(cookie: "ch_session=\(secret)")
    }

    func csrf(_ h: Harness, _ s: Session, _ path: String) async throws -> String {
        try #require(WebTests().hiddenCSRF(try await h.request(.get, path, headers: s.headers).text))
    }

    @Test("administrators publish terms versions; windows and acceptances keep theirs; others may not publish", arguments: Engine.available)
    func termsVersions(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, dev) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (_, partner) = try await h.member(org: "Red Team", kind: .trustedPartner)
            let partnerOrg = try #require(try await h.directory.organisation(named: "Red Team")).id
            let modelId = try #require(try await h.request(.post, "/api/v1/frontier/models", token: dev, json: #"{"name": "Atlas"}"#).json()["id"] as? String)
            let vid = try #require(try await h.request(.post, "/api/v1/frontier/models/\(modelId)/versions", token: dev,
                                                       json: #"{"version": "1", "endpoint_credential": "sk-1"}"#).json()["id"] as? String)
            func open() async throws -> [String: Any] {
                try await h.request(.post, "/api/v1/frontier/versions/\(vid)/windows", token: dev, json: """
                    {"starts_at": "\(Self.day(0))T00:00:00Z", "ends_at": "\(Self.day(5))T00:00:00Z", "invitees": ["\(partnerOrg)"]}
                    """).json()
            }
            let first = try await open()
            #expect(first["terms_version"] as? String == "1")
            let firstId = try #require(first["id"] as? String)
            #expect(try await h.request(.post, "/api/v1/frontier/windows/\(firstId)/accept", token: partner, json: #"{"terms_version": "1"}"#).status == .ok)

            // Only an administrator publishes; a version on record is refused; a missing body is named.
            let refused = try await h.request(.post, "/api/v1/frontier/terms", token: dev, json: #"{"version": "2", "body": "x"}"#)
            #expect(refused.status == .forbidden)
            let empty = try await h.request(.post, "/api/v1/frontier/terms", token: h.adminToken, json: #"{"version": "2", "body": "  "}"#)
            #expect(empty.status == .unprocessableContent)
            #expect(try empty.json()["field"] as? String == "$.body")
            let published = try await h.request(.post, "/api/v1/frontier/terms", token: h.adminToken,
                                                json: #"{"version": "2", "body": "Protection terms version 2.\nNo copies of outputs leave the invitee."}"#)
            #expect(published.status == .created)
            let again = try await h.request(.post, "/api/v1/frontier/terms", token: h.adminToken, json: #"{"version": "2", "body": "other"}"#)
            #expect(again.status == .conflict)
            #expect(try await h.request(.get, "/api/v1/frontier/terms", token: partner).json()["version"] as? String == "2")
            let versions = try #require(try await h.request(.get, "/api/v1/frontier/terms/versions", token: partner).json()["items"] as? [[String: Any]])
            #expect(versions.compactMap { $0["version"] as? String } == ["2", "1"])

            // The open window and its acceptance stay under version 1; a new window is under version 2.
            let kept = try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()
            let windows = try #require(kept["windows"] as? [[String: Any]])
            #expect(windows.first?["terms_version"] as? String == "1")
            let invitee = try #require((windows.first?["invitees"] as? [[String: Any]])?.first)
            #expect(invitee["accepted_terms_version"] as? String == "1")
            let second = try await open()
            #expect(second["terms_version"] as? String == "2")
            let secondId = try #require(second["id"] as? String)
            let stale = try await h.request(.post, "/api/v1/frontier/windows/\(secondId)/accept", token: partner, json: #"{"terms_version": "1"}"#)
            #expect(stale.status == .unprocessableContent)

            // Audited, with who published which version.
            let audit = try await h.services.db.read { conn in
                try await conn.query("SELECT actor, target FROM audit_log WHERE action = 'frontier.terms.publish' ORDER BY seq")
            }
            #expect(try audit.map { try $0.string("target") } == ["1", "2"])
            #expect(try audit.last?.string("actor") == "admin")
        }
    }

    @Test("the terms page lists every version; an administrator publishes with the form and sees errors next to the field")
    func termsPage() async throws {
        try await Harness.run { h in
            let (user, _) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let member = try await session(h, user.name)
            let page = try await h.request(.get, "/frontier/terms", headers: member.headers)
            #expect(page.status == .ok && page.text.contains("Version 1") && !page.text.contains("Publish a new version"))
            let admin = try await session(h, "admin", password: h.adminPassword)
            let token = try await csrf(h, admin, "/frontier/terms")
            let web = WebTests()
            let bad = try await h.request(.post, "/frontier/terms", json: web.form(["_csrf": token, "version": "2", "body": ""]), headers: admin.form)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains(#"id="t-body-error""#) && bad.text.contains(#"aria-describedby="t-body-error""#))
            #expect(bad.text.contains(#"value="2""#), "the version entered is kept")
            let forged = try await h.request(.post, "/frontier/terms", json: web.form(["_csrf": "guess", "version": "2", "body": "x"]), headers: admin.form)
            #expect(forged.status == .forbidden)
            let ok = try await h.request(.post, "/frontier/terms", json: web.form(["_csrf": token, "version": "2", "body": "Second text.\nLine two."]), headers: admin.form)
            #expect(ok.status == .seeOther)
            let after = try await h.request(.get, "/frontier/terms", headers: member.headers).text
            #expect(after.contains("Version 2") && after.contains("Second text.") && after.contains("Version 1"))
            let dup = try await h.request(.post, "/frontier/terms", json: web.form(["_csrf": token, "version": "2", "body": "again"]), headers: admin.form)
            #expect(dup.status == .conflict && dup.text.contains(#"id="t-version-error""#))
        }
    }

    @Test("the developer invites several organisations and extends within the maximum on the page; invitees accept on the window page and then see the credential while open",
          arguments: Engine.available)
    func windowForms(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (devUser, dev) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (govUser, gov) = try await h.member(org: "CAISI", kind: .government, role: .reviewer)
            let (partnerUser, partner) = try await h.member(org: "Red Team", kind: .trustedPartner)
            _ = try await h.member(org: "Hospital", kind: .defender)
            let govOrg = try #require(try await h.directory.organisation(named: "CAISI")).id
            let partnerOrg = try #require(try await h.directory.organisation(named: "Red Team")).id
            let hospital = try #require(try await h.directory.organisation(named: "Hospital")).id
            let modelId = try #require(try await h.request(.post, "/api/v1/frontier/models", token: dev, json: #"{"name": "Atlas"}"#).json()["id"] as? String)
            let vid = try #require(try await h.request(.post, "/api/v1/frontier/models/\(modelId)/versions", token: dev,
                                                       json: #"{"version": "1", "endpoint_url": "https://lab.example/v1", "endpoint_credential": "sk-window"}"#).json()["id"] as? String)
            let developer = try await session(h, devUser.name)
            let path = "/frontier/versions/\(vid)"
            let page = try await h.request(.get, path, headers: developer.headers).text
            #expect(page.contains(#"type="checkbox" value="\#(govOrg)""#) && page.contains(#"type="checkbox" value="\#(partnerOrg)""#))
            #expect(!page.contains(#"value="\#(hospital)""#), "a defender organisation is not offered as an invitee")
            let token = try #require(WebTests().hiddenCSRF(page))

            // Refusals come back on the page, next to the field, with the ticks kept.
            func post(_ body: String) async throws -> TestResponse {
                try await h.request(.post, "/frontier/versions/\(vid)/windows", json: "_csrf=\(token)&" + body, headers: developer.form)
            }
            let none = try await post("starts_on=\(Self.day(0))&ends_on=\(Self.day(3))")
            #expect(none.status == .unprocessableContent && none.text.contains(#"id="w-inv-error""#))
            let tooLong = try await post("starts_on=\(Self.day(0))&ends_on=\(Self.day(40))&invitees=\(govOrg)&invitees=\(partnerOrg)")
            #expect(tooLong.status == .unprocessableContent)
            #expect(tooLong.text.contains(#"id="w-end-error""#) && tooLong.text.contains("at most 30 days"))
            #expect(tooLong.text.contains(#"value="\#(partnerOrg)" checked"#))
            let wrongKind = try await post("starts_on=\(Self.day(0))&ends_on=\(Self.day(3))&invitees=\(hospital)")
            #expect(wrongKind.status == .unprocessableContent && wrongKind.text.contains(#"id="w-inv-error""#))
            #expect((try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()["windows"] as? [Any] ?? []).isEmpty,
                    "nothing was opened by the refused forms")

            let opened = try await post("starts_on=\(Self.day(0))&ends_on=\(Self.day(10))&invitees=\(govOrg)&invitees=\(partnerOrg)")
            #expect(opened.status == .seeOther)
            let window = try #require((try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()["windows"] as? [[String: Any]])?.first)
            let wid = try #require(window["id"] as? String)
            #expect(Set((window["invitees"] as? [[String: Any]] ?? []).compactMap { $0["org"] as? String }) == [govOrg, partnerOrg])

            // Extending past 30 days from the start is refused next to the field; within it, the end moves.
            let extendPath = "/frontier/windows/\(wid)/extend"
            let beyond = try await h.request(.post, extendPath, json: "_csrf=\(token)&ends_at=\(Self.day(31))T00:00", headers: developer.form)
            #expect(beyond.status == .unprocessableContent)
            #expect(beyond.text.contains(#"id="x-\#(wid)-error""#) && beyond.text.contains("at most 30 days"))
            let within = try await h.request(.post, extendPath, json: "_csrf=\(token)&ends_at=\(Self.day(30))T00:00", headers: developer.form)
            #expect(within.status == .seeOther)
            let extended = try #require((try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()["windows"] as? [[String: Any]])?.first)
            #expect((extended["ends_at"] as? String)?.hasPrefix(Self.day(30)) == true)
            // An invitee cannot extend.
            let partnerSession = try await session(h, partnerUser.name)
            let partnerToken = try await csrf(h, partnerSession, "/frontier/windows/\(wid)")
            let notTheirs = try await h.request(.post, extendPath, json: "_csrf=\(partnerToken)&ends_at=\(Self.day(20))T00:00", headers: partnerSession.form)
            #expect(notTheirs.status == .forbidden)

            // The partner reads the terms on the window page, sees no credential yet, accepts, then sees it.
            let before = try await h.request(.get, "/frontier/windows/\(wid)", headers: partnerSession.headers).text
            #expect(before.contains("Protection terms, version 1") && before.contains("Confidentiality"))
            #expect(!before.contains("sk-window") && before.contains("Accept the protection terms"))
            let accepted = try await h.request(.post, "/frontier/windows/\(wid)/accept", json: "_csrf=\(partnerToken)&terms_version=1&confirm=yes",
                                               headers: partnerSession.form)
            #expect(accepted.status == .seeOther)
            let after = try await h.request(.get, "/frontier/windows/\(wid)", headers: partnerSession.headers).text
            #expect(after.contains("<code>sk-window</code>") && after.contains("accepted terms version 1"))
            #expect(try await h.request(.get, "/api/v1/frontier/versions/\(vid)/credential", token: partner).status == .ok)
            // The government invitee has not accepted: no credential on its page or through the API.
            let govPage = try await h.request(.get, "/frontier/windows/\(wid)", headers: try await session(h, govUser.name).headers).text
            #expect(!govPage.contains("sk-window") && govPage.contains("Accept the protection terms to see"))
            #expect(try await h.request(.get, "/api/v1/frontier/versions/\(vid)/credential", token: gov).status == .forbidden)
            // An organisation that was not invited sees nothing of the window.
            let (outsiderUser, _) = try await h.member(org: "Other Lab", kind: .aiDeveloper)
            let outsider = try await h.request(.get, "/frontier/windows/\(wid)", headers: try await session(h, outsiderUser.name).headers)
            #expect(outsider.status == .notFound && !outsider.text.contains("sk-window"))

            // Once the developer ends the window the credential is gone from the partner's page.
            #expect(try await h.request(.post, "/api/v1/frontier/windows/\(wid)/end", token: dev).status == .ok)
            let ended = try await h.request(.get, "/frontier/windows/\(wid)", headers: partnerSession.headers).text
            #expect(!ended.contains("sk-window") && ended.contains("no longer shown"))
        }
    }
}
