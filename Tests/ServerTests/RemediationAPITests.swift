// Defender remediation and the defender home over real HTTP: the OpenAPI fragments match the
// routes served; a defender adds items, sees the overdue one first and in words, changes its
// status; another defender sees none of it (404 like a missing item); the home API and page show
// deadlines, the TAXII collections the organisation reads with their counts, and its tool access.
import Defenders
import Foundation
import HTTPTypes
import HummingbirdTesting
import Platform
@testable import Server
import Testing
import TestSupport
import ThreatSharing

@Suite struct RemediationAPITests {
    @Test func documentedRoutesAreTheServedRoutes() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths where path.hasPrefix("/api/v1/remediation") || path.hasPrefix("/api/v1/defender") {
            for method in operations.keys { documented.insert("\(method) \(path)") }
        }
        let served = (RemediationController.routes + DefenderHomeController.routes).map { "\($0.method) \($0.path)" }
        #expect(documented == Set(served))
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    @Test(arguments: Engine.available)
    func remediationAndHomeOverHTTP(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (waterUser, water) = try await h.member(org: "County Water", kind: .defender)
            let (_, hospital) = try await h.member(org: "Rural Hospital", kind: .defender)
            let (_, lab) = try await h.member(org: "Lab A", kind: .aiDeveloper)
            let (_, reviewer) = try await h.member(org: "CISA", kind: .government, role: .reviewer)
            let now = Date()
            let late = try await h.request(.post, "/api/v1/remediation/items", token: water, json: """
                {"cve":"CVE-2030-1000","asset":"scada-hmi","publicly_exposed":true,"automatable":"no","technical_impact":"total",
                 "started_at":"\(Self.iso(now.addingTimeInterval(-20 * 86_400)))"}
                """)
            #expect(late.status == .created)
            let lateItem = try late.json()
            let lateId = try #require(lateItem["id"] as? String)
            #expect(lateItem["timeline"] as? String == "14D" && lateItem["overdue"] as? Bool == true)
            #expect((lateItem["due_rule"] as? String)?.contains("Publicly Exposed = Yes") == true)
            #expect((lateItem["due_in_words"] as? String)?.hasPrefix("Overdue by 6 days") == true)
            let fresh = try await h.request(.post, "/api/v1/remediation/items", token: water, json: """
                {"cve":"CVE-2030-1001","asset":"billing","publicly_exposed":false,"automatable":"yes","technical_impact":"partial"}
                """)
            let freshItem = try fresh.json()
            #expect(freshItem["timeline"] as? String == "60D" && freshItem["overdue"] as? Bool == false)

            // Bad input names the field; unknown fields are refused; a lab keeps no items.
            let bad = try await h.request(.post, "/api/v1/remediation/items", token: water, json: #"{"cve":"CVE-1","asset":"x","publicly_exposed":true,"automatable":"yes","technical_impact":"total"}"#)
            #expect(bad.status == .unprocessableContent && bad.text.contains("$.cve"))
            let unknown = try await h.request(.post, "/api/v1/remediation/items", token: water, json: #"{"asset":"x","publicly_exposed":true,"colour":"red"}"#)
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("$.colour"))
            let labAdd = try await h.request(.post, "/api/v1/remediation/items", token: lab, json: #"{"cve":"CVE-2030-1002","asset":"x","publicly_exposed":true,"automatable":"yes","technical_impact":"total"}"#)
            #expect(labAdd.status == .unprocessableContent)

            let overdue = try await h.request(.get, "/api/v1/remediation/items?overdue=true", token: water)
            #expect(try overdue.json()["total"] as? Int == 1)
            let list = try await h.request(.get, "/api/v1/remediation/items?limit=1", token: water)
            let listed = try list.json()
            #expect(((listed["items"] as? [[String: Any]])?.first?["id"] as? String) == lateId && listed["total"] as? Int == 2)
            #expect(try await h.request(.get, "/api/v1/remediation/items?overdue=maybe", token: water).status == .badRequest)

            // The other defender: nothing, and a 404 identical to a missing item's.
            #expect(try await h.request(.get, "/api/v1/remediation/items", token: hospital).json()["total"] as? Int == 0)
            let theirs = try await h.request(.get, "/api/v1/remediation/items/\(lateId)", token: hospital)
            let missing = try await h.request(.get, "/api/v1/remediation/items/\(UUID().uuidString.lowercased())", token: hospital)
            #expect(theirs.status == .notFound && missing.status == .notFound)
            #expect(NSDictionary(dictionary: try theirs.json()) == NSDictionary(dictionary: try missing.json()))
            let steal = try await h.request(.post, "/api/v1/remediation/items/\(lateId)/status", token: hospital, json: #"{"status":"remediated","reason":"x"}"#)
            #expect(steal.status == .notFound)
            #expect(try await h.request(.get, "/api/v1/defender/home?org=\(waterUser.orgId)", token: hospital).status == .notFound)
            // A coordinator sees the water utility's items.
            #expect(try await h.request(.get, "/api/v1/remediation/items?org=\(waterUser.orgId)", token: reviewer).json()["total"] as? Int == 2)

            // What the organisation receives: one collection granted to it, one that is not.
            let taxii = ThreatSharingStore(db: h.services.db)
            let hospitalOrg = try #require(try await h.directory.organisation(named: "Rural Hospital"))
            let feed = try await taxii.createCollection(title: "Water sector indicators", defaultTLP: .green,
                                                        grants: [CollectionGrant(orgId: waterUser.orgId, readLevel: .green, canWrite: false)], actor: "test", at: now)
            _ = try await taxii.createCollection(title: "Hospital only", grants: [CollectionGrant(orgId: hospitalOrg.id, readLevel: .amber, canWrite: false)],
                                                 actor: "test", at: now)
            let indicator = #"{"type":"indicator","spec_version":"2.1","id":"indicator--6b5f4a1c-3c1e-4b1a-9a43-2f7d1c0e9b11","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"}"#
            _ = try await taxii.add([try JSONValue.parse(Data(indicator.utf8))], to: feed, requester: "test", actor: "test", at: now)
            // Its tool access: a request for an open offering.
            let admin = try await h.directory.reader(for: try #require(try await h.directory.user(named: "admin")))
            let tools = ToolAccessStore(db: h.services.db, clock: .system)
            let offering = try await tools.createOffering(ToolOffering(name: "Log triage assistant", capabilities: ["log triage"], capacity: 5), by: admin)
            let scanning = try await tools.createOffering(ToolOffering(name: "Exposure scanner", capabilities: ["vulnerability scanning"], capacity: 5), by: admin)
            let waterReader = try await h.directory.reader(for: waterUser)
            try await tools.setProfile(sector: "water", employees: 40, jurisdiction: "MT", by: waterReader)
            _ = try await tools.request(offeringId: offering.id, purpose: "Triage SCADA logs", by: waterReader)
            let granted = try await tools.request(offeringId: scanning.id, purpose: "Scan the public edge", by: waterReader)
            _ = try await tools.decide(requestId: granted.id, .approved, reason: "", startsAt: now.addingTimeInterval(-86_400),
                                       endsAt: now.addingTimeInterval(30 * 86_400), by: admin)

            let home = try await h.request(.get, "/api/v1/defender/home", token: water)
            #expect(home.status == .ok)
            let body = try home.json()
            let remediation = try #require(body["remediation"] as? [String: Any])
            #expect(remediation["overdue"] as? Int == 1 && remediation["open"] as? Int == 2)
            #expect(((remediation["next_due"] as? [[String: Any]])?.first?["id"] as? String) == lateId)
            let feeds = try #require(body["feeds"] as? [[String: Any]])
            #expect(feeds.map { $0["title"] as? String } == ["Water sector indicators"] && feeds.first?["objects"] as? Int == 1)
            #expect((body["advisories"] as? [String: Any])?["total"] as? Int == 0)
            let toolAccess = try #require(body["tool_access"] as? [String: Any])
            let requests = try #require(toolAccess["requests"] as? [[String: Any]])
            #expect(Set(requests.compactMap { $0["offering"] as? String }) == ["Log triage assistant", "Exposure scanner"])
            #expect(requests.first { $0["offering"] as? String == "Log triage assistant" }?["state"] as? String == "requested")
            let grants = try #require(toolAccess["grants"] as? [[String: Any]])
            #expect(grants.map { $0["offering"] as? String } == ["Exposure scanner"] && grants.first?["status"] as? String == "active")
            #expect(try await h.request(.get, "/api/v1/defender/home").status == .unauthorized)

            // Status change with a reason; the overdue count falls.
            let changed = try await h.request(.post, "/api/v1/remediation/items/\(lateId)/status", token: water,
                                              json: #"{"status":"risk_accepted","reason":"HMI isolated; replacement ordered"}"#)
            #expect(changed.status == .ok)
            #expect(try changed.json()["status"] as? String == "risk_accepted")
            let noReason = try await h.request(.post, "/api/v1/remediation/items/\(lateId)/status", token: water, json: #"{"status":"open","reason":""}"#)
            #expect(noReason.status == .unprocessableContent && noReason.text.contains("$.reason"))
            let after = try await h.request(.get, "/api/v1/defender/home", token: water)
            #expect(((try after.json()["remediation"] as? [String: Any])?["overdue"] as? Int) == 0)
        }
    }

    @Test(arguments: Engine.available)
    func remediationPagesOverHTTP(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let web = WebTests()
            let (user, token) = try await h.member(org: "County Water", kind: .defender)
            _ = try await h.member(org: "Rural Hospital", kind: .defender)
            let (_, session) = try await web.signIn(h, name: user.name, password: "member password 1")
            let cookie = try #require(session)
            let signed: HTTPFields = [.cookie: "ch_session=\(cookie)"]
            let started = Self.iso(Date().addingTimeInterval(-30 * 86_400))
            _ = try await h.request(.post, "/api/v1/remediation/items", token: token, json: """
                {"cve":"CVE-2030-2000","asset":"pump-station-plc","publicly_exposed":true,"automatable":"yes","technical_impact":"total","started_at":"\(started)"}
                """)
            let page = try await h.request(.get, "/defender/remediation", headers: signed)
            #expect(page.status == .ok)
            #expect(page.text.contains("pump-station-plc") && page.text.contains("OVERDUE") && page.text.contains("Overdue by 27 days"))
            #expect(page.text.contains("class=\"overdue\""))
            let csrf = try #require(web.hiddenCSRF(page.text))
            let form: HTTPFields = [.cookie: "ch_session=\(cookie)", .contentType: "application/x-www-form-urlencoded"]
            // Add an item through the form; a bad one re-renders with the field named and adds nothing.
            let added = try await h.request(.post, "/defender/remediation", json: web.form([
                "_csrf": csrf, "cve": "CVE-2030-2001", "asset": "scada-historian", "publicly_exposed": "no", "automatable": "no",
                "technical_impact": "partial", "directive": "organisation"]), headers: form)
            #expect(added.status == .seeOther || added.status == .found)
            let refused = try await h.request(.post, "/defender/remediation", json: web.form([
                "_csrf": csrf, "cve": "nope", "asset": "x", "publicly_exposed": "no", "automatable": "no", "technical_impact": "partial"]), headers: form)
            #expect(refused.status == .unprocessableContent && refused.text.contains("Nothing was changed") && refused.text.contains("cve"))
            let filtered = try await h.request(.get, "/defender/remediation?status=open&overdue=false", headers: signed)
            #expect(filtered.text.contains("scada-historian") && !filtered.text.contains("pump-station-plc"))
            #expect(filtered.text.contains("no date: at the next system upgrade"))
            // Change a status through the form.
            let items = try await h.request(.get, "/api/v1/remediation/items?overdue=true", token: token).json()["items"] as? [[String: Any]]
            let id = try #require(items?.first?["id"] as? String)
            let moved = try await h.request(.post, "/defender/remediation/\(id)/status", json: web.form([
                "_csrf": csrf, "status": "remediated", "reason": "firmware 4.2 installed"]), headers: form)
            #expect(moved.status == .seeOther || moved.status == .found)
            let remediated = try await h.request(.get, "/defender/remediation?status=remediated", headers: signed)
            #expect(remediated.text.contains("pump-station-plc") && remediated.text.contains("firmware 4.2 installed") && !remediated.text.contains("OVERDUE"))
            // The home page in words; another organisation's home is not found for a member.
            let home = try await h.request(.get, "/defender", headers: signed)
            #expect(home.status == .ok && home.text.contains("Defender home: County Water") && home.text.contains("No open item is past its due date"))
            let hospital = try #require(try await h.directory.organisation(named: "Rural Hospital"))
            #expect(try await h.request(.get, "/defender?org=\(hospital.id)", headers: signed).status == .notFound)
        }
    }
}
