// The incident API over real HTTP: filing with evidence, RED visibility in lists, counts, search and
// by id, bad input named by JSON path without losing what was filed, tags confirmed by a person, and
// the OpenAPI fragment matching the routes served.
import Foundation
import HTTPTypes
import HummingbirdTesting
import Platform
import Defenders
@testable import Server
import Testing
import TestSupport

@Suite struct IncidentAPITests {
    @Test func documentedRoutesAreTheServedRoutes() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths where path.hasPrefix("/api/v1/incidents") {
            for method in operations.keys { documented.insert("\(method) \(path)") }
        }
        #expect(documented == Set(IncidentController.routes.map { "\($0.method) \($0.path)" }))
    }

    static let filing = #"""
        {"title":"Agent intrusion at County Water","summary":"An AI agent brute-forced the SCADA historian and exfiltrated logs.",
         "started_at":"2026-11-20T02:00:00Z","detected_at":"2026-11-20T05:00:00Z","systems_affected":["historian"],
         "indicators":[{"type":"ipv4-addr","value":"198.51.100.9"}],
         "ai_evidence":{"agent_traces":"recovered","rate_and_scale":"9000 logins/min"},
         "facts":{"unauthorized_access":true,"protected_computer":true,"information_obtained":true},
         "evidence":[{"name":"trace.log","content_base64":"YWdlbnQgc3RlcA=="}]}
        """#

    @Test(arguments: Engine.available)
    func fileReadAndVisibilityOverHTTP(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, water) = try await h.member(org: "County Water", kind: .defender)
            let (_, outsider) = try await h.member(org: "Other Bank", kind: .defender)
            let filed = try await h.request(.post, "/api/v1/incidents", token: water, json: Self.filing)
            #expect(filed.status == .created)
            let body = try filed.json()
            let id = try #require(body["id"] as? String)
            #expect(body["tlp"] as? String == "red")
            let tags = try #require(body["statute_tags"] as? [String: Any])
            #expect((tags["notice"] as? String)?.contains("not a legal conclusion") == true)
            #expect(((tags["suggested"] as? [[String: Any]])?.first?["provision"] as? String) == "1030(a)(2)")
            let evidence = try #require((body["evidence"] as? [[String: Any]])?.first)
            #expect(evidence["sha256"] as? String == Secrets.sha256Hex("agent step"))

            let download = try await h.request(.get, "/api/v1/incidents/\(id)/evidence/\(evidence["id"] as? String ?? "")", token: water)
            #expect(download.text == "agent step")

            #expect(try await h.request(.get, "/api/v1/incidents", token: water).json()["total"] as? Int == 1)
            #expect(try await h.request(.get, "/api/v1/incidents", token: outsider).json()["total"] as? Int == 0)
            #expect(try await h.request(.get, "/api/v1/incidents?q=water", token: outsider).json()["total"] as? Int == 0)
            let direct = try await h.request(.get, "/api/v1/incidents/\(id)", token: outsider)
            let otherId = UUID().uuidString.lowercased()
            let missing = try await h.request(.get, "/api/v1/incidents/\(otherId)", token: outsider)
            #expect(direct.status == .notFound && missing.status == .notFound)
            // The same answer, apart from the id the caller sent, whether the incident exists or not.
            #expect((try direct.json()["detail"] as? String)?.replacingOccurrences(of: id, with: "ID")
                    == (try missing.json()["detail"] as? String)?.replacingOccurrences(of: otherId, with: "ID"))
            #expect(!direct.text.contains("County Water"))

            // Bad input: named by JSON path; nothing already filed is lost.
            let noTime = try await h.request(.post, "/api/v1/incidents", token: water, json: Self.filing.replacingOccurrences(of: #""started_at":"2026-11-20T02:00:00Z","#, with: ""))
            #expect(noTime.status.code == 422 || noTime.status.code == 400)
            #expect(noTime.text.contains("$.started_at"))
            let badTag = try await h.request(.post, "/api/v1/incidents/\(id)/tags", token: water, json: #"{"tags":["1030(a)(2)","1099"]}"#)
            #expect(badTag.status.code == 422 || badTag.status.code == 400)
            #expect(badTag.text.contains("$.tags[1]"))
            let unknown = try await h.request(.post, "/api/v1/incidents", token: water, json: #"{"title":"x","summary":"y","tlp":"clear"}"#)
            #expect(unknown.text.contains("$.tlp"))
            let kept = try await h.request(.get, "/api/v1/incidents/\(id)", token: water)
            #expect(((try kept.json()["evidence"] as? [[String: Any]])?.count) == 1)
            #expect(try await h.request(.get, "/api/v1/incidents", token: water).json()["total"] as? Int == 1)

            let confirmed = try await h.request(.post, "/api/v1/incidents/\(id)/tags", token: water, json: #"{"tags":["1030(a)(2)"]}"#)
            #expect(confirmed.status == .ok)
            #expect(try await h.request(.get, "/api/v1/incidents?tag=1030", token: water).json()["total"] as? Int == 1)
            #expect(try await h.request(.get, "/api/v1/incidents?tag=1343", token: water).json()["total"] as? Int == 0)
        }
    }
}

@Suite struct IncidentPageTests {
    @Test(arguments: Engine.available)
    func fileFromTheFormAndReadTheIncidentPage(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let web = WebTests()
            let (hospital, _) = try await h.member(org: "Rural Hospital", kind: .defender)
            let (bank, _) = try await h.member(org: "Community Bank", kind: .defender)
            let (_, session) = try await web.signIn(h, name: hospital.name, password: "member password 1")
            let cookie = try #require(session)
            let headers: HTTPFields = [.cookie: "ch_session=\(cookie)"]
            let blank = try await h.request(.get, "/incidents/new", headers: headers)
            let csrf = try #require(web.hiddenCSRF(blank.text))
            var fields = ["_csrf": csrf, "title": "Agent breach of billing", "summary": "An agent read billing records.",
                          "detected_at": "2026-11-20T05:00:00Z", "indicators": "ipv4-addr 203.0.113.7",
                          "unauthorized_access": "1", "protected_computer": "1", "information_obtained": "1"]
            var formHeaders = headers
            formHeaders[.contentType] = "application/x-www-form-urlencoded"
            let missing = try await h.request(.post, "/incidents", json: web.form(fields), headers: formHeaders)
            #expect(missing.status == .unprocessableContent)
            #expect(missing.text.contains("Nothing was filed. started_at: is required"))
            #expect(missing.text.contains("Agent breach of billing"), "what was typed is kept")
            fields["started_at"] = "2026-11-20T02:00:00Z"
            let filed = try await h.request(.post, "/incidents", json: web.form(fields), headers: formHeaders)
            #expect(filed.status == .seeOther)
            let location = try #require(filed.headers[.location])
            let page = try await h.request(.get, location, headers: headers)
            #expect(page.status == .ok)
            #expect(page.text.contains("Not a legal conclusion"))
            #expect(page.text.contains("1030(a)(2)") && page.text.contains("protected computer"))
            #expect(page.text.contains("TLP:RED"))
            let list = try await h.request(.get, "/incidents?q=billing", headers: headers)
            #expect(list.text.contains("Agent breach of billing") && list.text.contains("1 incidents"))

            let (_, other) = try await web.signIn(h, name: bank.name, password: "member password 1")
            let otherHeaders: HTTPFields = [.cookie: "ch_session=\(try #require(other))"]
            let theirs = try await h.request(.get, "/incidents", headers: otherHeaders)
            #expect(!theirs.text.contains("Agent breach of billing"))
            #expect(try await h.request(.get, location, headers: otherHeaders).status == .notFound)
        }
    }
}

@Suite struct ToolAccessPageTests {
    @Test(arguments: Engine.available)
    func hospitalSeesReasonsAndCoordinatorSeesTheGap(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let web = WebTests()
            let store = ToolAccessStore(db: h.services.db, clock: h.services.clock)
            let (labUser, _) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (hospital, _) = try await h.member(org: "Rural Hospital", kind: .defender)
            let (coordinator, _) = try await h.member(org: "CISA", kind: .government, role: .reviewer)
            let lab = Reader(userId: labUser.id, userName: labUser.name, orgId: labUser.orgId, orgKind: .aiDeveloper, role: .member)
            let hospitalReader = Reader(userId: hospital.id, userName: hospital.name, orgId: hospital.orgId, orgKind: .defender, role: .member)
            _ = try await store.createOffering(ToolOffering(name: "Fraud screening", capabilities: ["phishing analysis"], sectors: ["finance"], capacity: 5), by: lab)
            try await store.setProfile(sector: "healthcare", employees: 80, jurisdiction: "MT", by: hospitalReader)

            let (_, s1) = try await web.signIn(h, name: hospital.name, password: "member password 1")
            let page = try await h.request(.get, "/tools", headers: [.cookie: "ch_session=\(try #require(s1))"])
            #expect(page.text.contains("open to the finance sector(s); yours is healthcare"))
            #expect(!page.text.contains("Demand and coverage"))

            let (_, s2) = try await web.signIn(h, name: coordinator.name, password: "member password 1")
            let view = try await h.request(.get, "/tools", headers: [.cookie: "ch_session=\(try #require(s2))"])
            #expect(view.text.contains("<svg") && view.text.contains("<title id=\"cov-title\">"))
            #expect(view.text.contains("0 of 1 covered"))
            #expect(view.text.contains("Gap: some without any offering"))
        }
    }
}
