// An incident feeding threat sharing, over real HTTP and TAXII: a reader without access to the
// incident sees nothing of it in the collection until the reporter shares it, and then only the
// STIX copy at the TLP the reporter chose, with personal data left out unless included.
import Foundation
import HTTPTypes
import HummingbirdTesting
import Platform
@testable import Server
import Testing
import TestSupport
import ThreatSharing

@Suite("Incidents into threat-sharing collections")
struct IncidentFeedTests {
    static let accept: HTTPFields = [.accept: "application/taxii+json;version=2.1"]

    static let filing = #"""
        {"title":"Agent intrusion at County Water","summary":"An AI agent brute-forced the historian; the operator on call, jane.doe@countywater.example, saw it first.",
         "started_at":"2026-11-20T02:00:00Z","detected_at":"2026-11-20T05:00:00Z","systems_affected":["historian"],
         "data_affected":["operator home addresses"],
         "indicators":[{"type":"ipv4-addr","value":"198.51.100.9"},{"type":"email-addr","value":"phisher@bad.example"}],
         "ai_evidence":{"agent_traces":"recovered trace naming Jane Doe","prompts":"find Jane Doe's password","tooling":"agent framework","rate_and_scale":"9000 logins/min"},
         "facts":{"unauthorized_access":true,"protected_computer":true,"information_obtained":true}}
        """#

    @Test("a collection reader sees nothing of an incident until it is shared, then only at the chosen TLP, without personal data unless included",
          arguments: Engine.available)
    func shareIntoCollection(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (waterUser, water) = try await h.member(org: "County Water", kind: .defender)
            let (_, greenReader) = try await h.member(org: "Green Bank", kind: .defender)
            let (_, amberReader) = try await h.member(org: "Amber Grid", kind: .defender)
            let (redUser, redReader) = try await h.member(org: "State CERT", kind: .government)
            let (_, coordinator) = try await h.member(org: "Coordinator", kind: .government)
            let waterOrg = try #require(try await h.directory.organisation(named: "County Water")).id
            func org(_ name: String) async throws -> String { try #require(try await h.directory.organisation(named: name)).id }
            let sharing = ThreatSharingStore(db: h.services.db)
            let feed = try await sharing.createCollection(title: "Water sector feed", defaultTLP: .amber, grants: [
                CollectionGrant(orgId: waterOrg, readLevel: .amber, canWrite: true),
                CollectionGrant(orgId: try await org("Green Bank"), readLevel: .green, canWrite: false),
                CollectionGrant(orgId: try await org("Amber Grid"), readLevel: .amberStrict, canWrite: false),
                CollectionGrant(orgId: try await org("State CERT"), readLevel: .amber, canWrite: false),
            ], actor: "test", at: Date())
            let readOnly = try await sharing.createCollection(title: "Read only", grants: [CollectionGrant(orgId: waterOrg, readLevel: .amber, canWrite: false)],
                                                              actor: "test", at: Date())
            let objects = "/taxii2/default/collections/\(feed.id)/objects/"
            func seen(_ token: String) async throws -> [[String: Any]] {
                let page = try await h.request(.get, objects, token: token, headers: Self.accept)
                #expect(page.status == .ok)
                return (try page.json()["objects"] as? [[String: Any]]) ?? []
            }

            let coordinatorOrg = try await org("Coordinator")
            let filing = Self.filing.replacingOccurrences(of: "\"facts\"", with: "\"coordinator_orgs\":[\"\(coordinatorOrg)\"],\"facts\"")
            let filed = try await h.request(.post, "/api/v1/incidents", token: water, json: filing)
            #expect(filed.status == .created)
            let id = try #require(try filed.json()["id"] as? String)
            // Never shared: nothing in the collection, and the incident itself is not found.
            #expect(try await seen(greenReader).isEmpty)
            #expect(try await seen(amberReader).isEmpty)
            #expect(try await h.request(.get, "/api/v1/incidents/\(id)", token: greenReader).status == .notFound)

            // Refusals: not the reporter; a collection it may not write to; personal data below AMBER+STRICT; RED without recipients.
            let byCoordinator = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: coordinator, json: #"{"collection_id":"\#(feed.id)","tlp":"green"}"#)
            #expect(byCoordinator.status == .forbidden)
            let byAdmin = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: h.adminToken, json: #"{"collection_id":"\#(feed.id)","tlp":"green"}"#)
            #expect(byAdmin.status == .forbidden)
            let notWritable = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: water, json: #"{"collection_id":"\#(readOnly.id)","tlp":"green"}"#)
            #expect(notWritable.status == .unprocessableContent)
            #expect(try notWritable.json()["field"] as? String == "$.collection_id")
            let personalGreen = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: water,
                                                    json: #"{"collection_id":"\#(feed.id)","tlp":"green","include_personal":true}"#)
            #expect(personalGreen.status == .unprocessableContent)
            #expect(try personalGreen.json()["field"] as? String == "$.tlp")
            let redNobody = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: water, json: #"{"collection_id":"\#(feed.id)","tlp":"red"}"#)
            #expect(redNobody.status == .unprocessableContent)
            #expect(try redNobody.json()["field"] as? String == "$.recipients")
            #expect(try await seen(greenReader).isEmpty, "a refused share publishes nothing")

            // Shared at TLP:AMBER without personal data: the GREEN reader still sees nothing; the AMBER one sees the copy.
            let shared = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: water, json: #"{"collection_id":"\#(feed.id)","tlp":"amber"}"#)
            #expect(shared.status == .created)
            #expect(try shared.json()["include_personal"] as? Bool == false)
            #expect(try await seen(greenReader).isEmpty)
            let amberCopy = try await seen(amberReader)
            let incidentObject = try #require(amberCopy.first { $0["type"] as? String == "incident" })
            #expect(incidentObject["name"] as? String == "Agent intrusion at County Water")
            #expect((incidentObject["object_marking_refs"] as? [String]) == [TLPMarkings.v2Amber])
            let text = String(decoding: try JSONSerialization.data(withJSONObject: amberCopy), as: UTF8.self)
            #expect(text.contains("198.51.100.9") && text.contains("9000 logins"))
            #expect(!text.contains("jane.doe@countywater.example") && !text.contains("Jane Doe") && !text.contains("phisher@bad.example"))
            #expect(!text.contains("operator home addresses") && !text.contains(waterUser.name))
            #expect(text.contains("[personal data removed]"))
            // The incident record was not widened by the share.
            #expect(try await h.request(.get, "/api/v1/incidents/\(id)", token: amberReader).status == .notFound)

            // With personal data included, at TLP:RED for one named recipient: only that user sees it.
            let red = try await h.request(.post, "/api/v1/incidents/\(id)/feeds", token: water,
                                          json: #"{"collection_id":"\#(feed.id)","tlp":"red","include_personal":true,"recipients":["\#(redUser.name)"]}"#)
            #expect(red.status == .created)
            let redCopy = String(decoding: try JSONSerialization.data(withJSONObject: try await seen(redReader)), as: UTF8.self)
            #expect(redCopy.contains("jane.doe@countywater.example") && redCopy.contains("phisher@bad.example") && redCopy.contains(waterUser.name))
            let amberAfter = String(decoding: try JSONSerialization.data(withJSONObject: try await seen(amberReader)), as: UTF8.self)
            #expect(!amberAfter.contains("jane.doe@countywater.example"), "the RED copy reaches only its recipient")
            #expect(amberAfter.contains("198.51.100.9"), "the AMBER copy is still there for its readers")
            #expect(!String(decoding: try JSONSerialization.data(withJSONObject: try await seen(greenReader)), as: UTF8.self).contains("198.51.100.9"))

            // On record and audited.
            let shares = try #require(try await h.request(.get, "/api/v1/incidents/\(id)/feeds", token: water).json()["items"] as? [[String: Any]])
            #expect(shares.compactMap { $0["tlp"] as? String } == ["amber", "red"])
            #expect(try await h.request(.get, "/api/v1/incidents/\(id)/feeds", token: greenReader).status == .notFound)
            let audited = try await h.services.db.read { conn in
                try await conn.scalarInt("SELECT COUNT(*) FROM audit_log WHERE action = 'incident.feed.share' AND target = $1", [.text("incident:\(id)")])
            }
            #expect(audited == 2)
        }
    }

    @Test("the incident page offers the share form to the reporter and shows a refusal next to its field")
    func sharePage() async throws {
        try await Harness.run { h in
            let (waterUser, water) = try await h.member(org: "County Water", kind: .defender)
            let waterOrg = try #require(try await h.directory.organisation(named: "County Water")).id
            let feed = try await ThreatSharingStore(db: h.services.db).createCollection(
                title: "Water sector feed", grants: [CollectionGrant(orgId: waterOrg, readLevel: .amber, canWrite: true)], actor: "test", at: Date())
            let id = try #require(try await h.request(.post, "/api/v1/incidents", token: water, json: Self.filing).json()["id"] as? String)
            let secret = try #require(try await WebTests().signIn(h, name: waterUser.name, password: "member password 1").1)
            let cookie = "ch_session=\(secret)"
            let page = try await h.request(.get, "/incidents/\(id)", headers: [.cookie: cookie])
            #expect(page.text.contains("Share into a collection") && page.text.contains("Water sector feed"))
            let csrf = try #require(WebTests().hiddenCSRF(page.text))
            let form: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            let bad = try await h.request(.post, "/incidents/\(id)/feeds", json: "_csrf=\(csrf)&collection_id=\(feed.id)&tlp=green&include_personal=yes", headers: form)
            #expect(bad.status == .unprocessableContent && bad.text.contains(#"id="f-tlp-error""#))
            let ok = try await h.request(.post, "/incidents/\(id)/feeds",
                                         json: "_csrf=\(csrf)&collection_id=\(feed.id)&tlp=amber&personal_fields=summary&personal_fields=ai_prompts", headers: form)
            #expect(ok.status == .seeOther)
            let after = try await h.request(.get, "/incidents/\(id)", headers: [.cookie: cookie]).text
            #expect(after.contains("TLP:AMBER") && after.contains("personal data left out (also: ai_prompts, summary)"))
        }
    }
}
