// TAXII 2.1 over real HTTP: content negotiation, authentication, TLP per reader through the
// routes, and every hostile or malformed request answered with a TAXII error resource (never
// problem+json, never HTML, never a 500). The documented routes equal the served ones.
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Platform
@testable import Server
import Testing
import TestSupport
import ThreatSharing

private let taxii = "application/taxii+json;version=2.1"

private func stixIndicator(_ n: Int, marking: String?, modified: String = "2024-01-01T00:00:00.000Z") -> String {
    let marks = marking.map { #","object_marking_refs":["\#($0)"]"# } ?? ""
    return #"{"type":"indicator","spec_version":"2.1","id":"indicator--\#(String(format: "%08x", n))-0000-4000-8000-000000000000","created":"2024-01-01T00:00:00.000Z","modified":"\#(modified)","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"\#(marks)}"#
}

private struct TAXIIWorld {
    let h: Harness
    let collection: TAXIICollection
    let writer: String
    /// The writer's user id (a status names its requester as `user:ID`).
    let writerId: String
    let greenReader: String
    var objects: String { "/taxii2/default/collections/\(collection.id)/objects/" }

    static func make(_ h: Harness) async throws -> TAXIIWorld {
        let (writerUser, writer) = try await h.member(org: "Amber utility")
        let (_, green) = try await h.member(org: "Green bank")
        let greenOrg = try #require(try await h.directory.organisation(named: "Green bank"))
        let collection = try await ThreatSharingStore(db: h.services.db).createCollection(
            title: "Feed", defaultTLP: .amber,
            grants: [CollectionGrant(orgId: writerUser.orgId, readLevel: .amber, canWrite: true),
                     CollectionGrant(orgId: greenOrg.id, readLevel: .green, canWrite: false)],
            actor: "test", at: Date())
        return TAXIIWorld(h: h, collection: collection, writer: writer, writerId: writerUser.id, greenReader: green)
    }

    @discardableResult
    func post(_ body: String, token: String? = nil, contentType: String = taxii) async throws -> TestResponse {
        try await h.request(.post, objects, token: token ?? writer, json: body, headers: [.contentType: contentType, .accept: taxii])
    }
}

private func expectTAXIIError(_ response: TestResponse, _ status: HTTPResponse.Status, _ what: Comment) throws {
    #expect(response.status == status, what)
    #expect(response.headers[.contentType] == taxii, what)
    let body = try response.json()
    #expect(body["http_status"] as? String == String(status.code), what)
    #expect(body["title"] is String, what)
}

@Suite("TAXII 2.1")
struct TAXIITests {
    @Test("discovery, API root and collections answer in TAXII JSON with the requester's rights", arguments: Engine.available)
    func resources(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            let discovery = try await h.request(.get, "/taxii2/", token: w.greenReader)
            #expect(discovery.status == .ok && discovery.headers[.contentType] == taxii)
            #expect((try discovery.json()["default"] as? String)?.hasSuffix("/taxii2/default/") == true)
            let root = try await h.request(.get, "/taxii2/default/", token: w.greenReader, headers: [.accept: "application/taxii+json"])
            #expect((try root.json()["versions"] as? [String]) == [taxii])
            let list = try await h.request(.get, "/taxii2/default/collections/", token: w.greenReader)
            let collections = try #require(try list.json()["collections"] as? [[String: Any]])
            #expect(collections.count == 1)
            #expect(collections.first?["can_read"] as? Bool == true && collections.first?["can_write"] as? Bool == false)
            // Without a grant, the collection does not exist for the reader.
            let (_, stranger) = try await h.member(org: "Stranger")
            let hidden = try await h.request(.get, "/taxii2/default/collections/\(w.collection.id)/", token: stranger)
            try expectTAXIIError(hidden, .notFound, "a collection without a grant answers like a missing one")
        }
    }

    @Test("a GREEN reader gets full pages of GREEN objects only, with counts and headers to match", arguments: Engine.available)
    func tlpThroughTheRoutes(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            let body = (0..<30).map { stixIndicator($0, marking: $0 % 2 == 0 ? TLPLevel.green.markingDefinitionId : nil) }
            let posted = try await w.post(#"{"objects":[\#(body.joined(separator: ","))]}"#)
            #expect(posted.status == .accepted)
            #expect(try posted.json()["success_count"] as? Int == 30)
            var ids: [String] = []
            var next: String?
            repeat {
                let uri = w.objects + "?limit=4" + (next.map { "&next=\($0)" } ?? "")
                let page = try await h.request(.get, uri, token: w.greenReader)
                #expect(page.status == .ok)
                #expect(page.headers[HTTPField.Name("X-TAXII-Date-Added-First")!] != nil)
                let json = try page.json()
                let objects = try #require(json["objects"] as? [[String: Any]])
                if json["more"] as? Bool == true { #expect(objects.count == 4, "a page is never cut short by a hidden object") }
                for o in objects {
                    #expect((o["object_marking_refs"] as? [String]) == [TLPLevel.green.markingDefinitionId])
                    ids.append(try #require(o["id"] as? String))
                }
                next = json["next"] as? String
            } while next != nil
            #expect(ids.count == 15 && Set(ids).count == 15)
            // The hidden AMBER object answers like a missing one.
            let amberId = "indicator--00000001-0000-4000-8000-000000000000"
            try expectTAXIIError(try await h.request(.get, w.objects + amberId + "/", token: w.greenReader), .notFound, "hidden object")
            #expect(try await h.request(.get, w.objects + amberId + "/", token: w.writer).status == .ok)
            // Percent-encoded filter names, as real clients send them.
            let typed = try await h.request(.get, w.objects + "?match%5Btype%5D=malware", token: w.writer)
            #expect((try typed.json()["objects"] as? [Any])?.isEmpty == true, "match[type] filters even when its name is percent-encoded")
            let manifest = try await h.request(.get, "/taxii2/default/collections/\(w.collection.id)/manifest/?limit=100", token: w.greenReader)
            #expect((try manifest.json()["objects"] as? [Any])?.count == 15)
        }
    }

    @Test("hostile and malformed requests get TAXII error resources, never a 500", arguments: Engine.available)
    func errors(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            let anonymous = try await h.request(.get, w.objects)
            try expectTAXIIError(anonymous, .unauthorized, "missing credentials")
            #expect(anonymous.headers[.wwwAuthenticate]?.contains("Basic") == true)
            try expectTAXIIError(try await h.request(.get, w.objects, token: "chs_forged"), .unauthorized, "bad token")
            let cases: [(String, HTTPResponse.Status, Comment)] = [
                ("?added_after=2024-13-01T00:00:00Z", .badRequest, "broken timestamp"),
                ("?added_after=yesterday", .badRequest, "bad added_after"),
                ("?next=AQAAAAAAAAAAAAAAAAAAAAAAAAAA", .badRequest, "forged next"),
                ("?next=%00%ff", .badRequest, "garbage next"),
                ("?limit=-5", .badRequest, "negative limit"),
                ("?match[version]=sometime", .badRequest, "bad match[version]"),
                ("?match[id]=not-an-id", .badRequest, "bad match[id]"),
                ("?limit=1&limit=2", .badRequest, "repeated limit"),
            ]
            for (query, status, what) in cases {
                try expectTAXIIError(try await h.request(.get, w.objects + query, token: w.writer), status, what)
            }
            let huge = try await h.request(.get, w.objects + "?limit=99999999999999999999999999999", token: w.writer)
            #expect(huge.status == .ok, "a huge limit is clamped")
            try expectTAXIIError(try await h.request(.get, w.objects, token: w.writer, headers: [.accept: "text/html"]), .notAcceptable, "406")
            try expectTAXIIError(try await h.request(.get, w.objects, token: w.writer, headers: [.accept: "application/taxii+json;version=2.0"]),
                                 .notAcceptable, "406 for another version")
            try expectTAXIIError(try await w.post("{}", contentType: "application/json"), .unsupportedMediaType, "415")
            try expectTAXIIError(try await w.post(#"{"objects": ["#), .badRequest, "malformed JSON")
            try expectTAXIIError(try await w.post(#"[1, 2]"#), .badRequest, "not an object")
            try expectTAXIIError(try await w.post(#"{"objects":[]}"#, token: w.greenReader), .forbidden, "read-only grant may not write")
            let big = "{\"objects\":[\"" + String(repeating: "x", count: 11 * 1024 * 1024) + "\"]}"
            try expectTAXIIError(try await w.post(big), .contentTooLarge, "oversized body")
            try expectTAXIIError(try await h.request(.get, "/taxii2/default/collections/00000000-0000-0000-0000-000000000000/objects/", token: w.writer),
                                 .notFound, "unknown collection")
            try expectTAXIIError(try await h.request(.get, "/taxii2/nowhere/", token: w.writer), .notFound, "unknown API root")
            try expectTAXIIError(try await h.request(.get, "/taxii2/default/status/nope/", token: w.writer), .notFound, "unknown status")
            // The router answers an unsupported method like an unknown path; still a TAXII error.
            try expectTAXIIError(try await h.request(.put, w.objects, token: w.writer), .notFound, "wrong method")
            // A bad object fails alone; its reason is in the status resource.
            let mixed = try await w.post(#"{"objects":[\#(stixIndicator(1, marking: nil)), {"type":"indicator","id":"indicator--x"}]}"#)
            let status = try mixed.json()
            #expect(status["success_count"] as? Int == 1 && status["failure_count"] as? Int == 1)
            let statusId = try #require(status["id"] as? String)
            let again = try await h.request(.get, "/taxii2/default/status/\(statusId)/", token: w.writer)
            #expect(try again.json()["failure_count"] as? Int == 1)
        }
    }

    @Test("a stored status answers, a part at a time, with the very bytes the POST answered", arguments: Engine.available)
    func storedStatusStreamsTheSameBytes(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            // 2,500 objects are stored as three parts of 1,000; a bad object in the first and the
            // third part puts failures (with their reasons) in both.
            let objects = (0..<2500).map { n in
                n == 7 || n == 2300 ? #"{"type":"indicator","id":"indicator--bad-\#(n)"}"# : stixIndicator(n, marking: nil)
            }
            let posted = try await w.post(#"{"objects":[\#(objects.joined(separator: ","))]}"#)
            #expect(posted.status == .accepted)
            let status = try posted.json()
            #expect(status["success_count"] as? Int == 2498 && status["failure_count"] as? Int == 2 && status["total_count"] as? Int == 2500)
            let statusId = try #require(status["id"] as? String)
            let read = try await h.request(.get, "/taxii2/default/status/\(statusId)/", token: w.writer)
            #expect(read.status == .ok && read.headers[.contentType] == taxii)
            let same = read.text == posted.text  // compared outside #expect, which would print both megabytes
            #expect(same, "the stored status (\(read.text.utf8.count) bytes) differs from the POST's (\(posted.text.utf8.count) bytes)")
            #expect((try read.json()["successes"] as? [Any])?.count == 2498)
            // Another requester does not see it at all.
            try expectTAXIIError(try await h.request(.get, "/taxii2/default/status/\(statusId)/", token: w.greenReader), .notFound, "not theirs")
        }
    }

    @Test("a status read while its import runs, and one kept in per-object rows, answer with what they hold", arguments: Engine.available)
    func pendingAndLegacyStatuses(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            let me = w.writerId
            let id1 = "11111111-1111-4111-8111-111111111111", id2 = "22222222-2222-4222-8222-222222222222"
            try await h.services.db.write { conn in
                // An import of 5 objects after its first part: 2 stored, 1 rejected, 2 still to come.
                try await conn.execute("""
                    INSERT INTO taxii_status (id, api_root, collection_id, requester, status, request_us, total_count, success_count,
                        failure_count, pending_count) VALUES ($1, 'default', $2, $3, 'pending', 1700000000000000, 5, 2, 1, 2)
                    """, [.text(id1), .text(w.collection.id), .text("user:\(me)")])
                try await conn.execute("INSERT INTO taxii_status_parts (status_id, part, successes, failures) VALUES ($1, 0, $2, $3)",
                                       [.text(id1), .text(#"[["indicator--a","2024-01-01T00:00:00.000Z"],["indicator--b","2024-01-02T00:00:00.000Z"]]"#),
                                        .text(#"[["indicator--c","","bad \"id\""]]"#)])
                // A status written before migration 310: one row per object.
                try await conn.execute("""
                    INSERT INTO taxii_status (id, api_root, collection_id, requester, status, request_us, total_count, success_count,
                        failure_count, pending_count) VALUES ($1, 'default', $2, $3, 'complete', 1700000000000000, 1, 1, 0, 0)
                    """, [.text(id2), .text(w.collection.id), .text("user:\(me)")])
                try await conn.execute("""
                    INSERT INTO taxii_status_details (status_id, position, outcome, object_id, version) VALUES ($1, 0, 'success', 'indicator--d', 'v1')
                    """, [.text(id2)])
            }
            let pending = try await h.request(.get, "/taxii2/default/status/\(id1)/", token: w.writer)
            #expect(pending.text == #"{"failure_count":1,"failures":[{"id":"indicator--c","message":"bad \"id\"","version":""}],"id":"\#(id1)","pending_count":2,"pendings":[],"request_timestamp":"2023-11-14T22:13:20.000000Z","status":"pending","success_count":2,"successes":[{"id":"indicator--a","version":"2024-01-01T00:00:00.000Z"},{"id":"indicator--b","version":"2024-01-02T00:00:00.000Z"}],"total_count":5}"#)
            let legacy = try await h.request(.get, "/taxii2/default/status/\(id2)/", token: w.writer)
            #expect(legacy.status == .ok)
            let body = try legacy.json()
            #expect(body["success_count"] as? Int == 1 && (body["successes"] as? [[String: Any]])?.first?["id"] as? String == "indicator--d")
            for id in [id1, id2] {
                try expectTAXIIError(try await h.request(.get, "/taxii2/default/status/\(id)/", token: w.greenReader), .notFound, "not theirs")
            }
        }
    }

    @Test("the OpenAPI fragment documents exactly the TAXII routes served")
    func documentedRoutes() async throws {
        try await Harness.run { h in
            let served = Set(buildRouter(h.services).routes.compactMap { route -> String? in
                let path = route.path.description
                guard path.hasPrefix("/taxii2") else { return nil }
                var spelled = path
                if !spelled.hasSuffix("/") { spelled += "/" }
                return "\(route.method.rawValue) \(spelled)"
            })
            let document = try #require(try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.filter { $0.key.hasPrefix("/taxii2") }.flatMap { path, ops in ops.keys.map { "\($0.uppercased()) \(path)" } })
            #expect(served == documented)
        }
    }
}

@Suite("Threat sharing pages")
struct IntelPageTests {
    @Test("a GREEN reader's pages show counts, objects, versions and relationships it may see, and nothing else", arguments: Engine.available)
    func pages(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let w = try await TAXIIWorld.make(h)
            let green = TLPLevel.green.markingDefinitionId
            func named(_ json: String, _ name: String) -> String { String(json.dropLast()) + #","name":"\#(name)"}"# }
            let visible = named(stixIndicator(1, marking: green), "Visible beacon")
            let newer = named(stixIndicator(1, marking: green, modified: "2024-05-01T00:00:00.000Z"), "Visible beacon")
            let hidden = named(stixIndicator(2, marking: nil), "Hidden amber beacon")
            let other = named(stixIndicator(3, marking: green), "Neighbour")
            let relationship = #"{"type":"relationship","spec_version":"2.1","id":"relationship--00000009-0000-4000-8000-000000000000","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--00000001-0000-4000-8000-000000000000","target_ref":"indicator--00000003-0000-4000-8000-000000000000","object_marking_refs":["\#(green)"]}"#
            #expect(try await w.post(#"{"objects":[\#([visible, newer, hidden, other, relationship].joined(separator: ","))]}"#).status == .accepted)
            let greenOrg = try #require(try await h.directory.organisation(named: "Green bank"))
            let member = try #require(try await h.directory.users(orgId: greenOrg.id).first)
            let (_, session) = try await WebTests().signIn(h, name: member.name, password: "member password 1")
            let secret = try #require(session)
            let cookie: HTTPFields = [.cookie: "ch_session=\(secret)"]
            let list = try await h.request(.get, "/intel", headers: cookie)
            #expect(list.status == .ok)
            #expect(list.text.contains("Feed") && list.text.contains("<td>4</td>"), "four GREEN versions counted, the AMBER one not")
            let browse = try await h.request(.get, "/intel/collections/\(w.collection.id)", headers: cookie)
            #expect(browse.text.contains("Visible beacon") && browse.text.contains("Neighbour"))
            #expect(!browse.text.contains("Hidden amber beacon"))
            let filtered = try await h.request(.get, "/intel/collections/\(w.collection.id)?type=relationship", headers: cookie)
            #expect(!filtered.text.contains("Neighbour") && filtered.text.contains("relationship--00000009"))
            let page = try await h.request(.get, "/intel/collections/\(w.collection.id)/objects/indicator--00000001-0000-4000-8000-000000000000",
                                           headers: cookie)
            #expect(page.text.contains("2024-05-01T00:00:00.000Z") && page.text.contains("2024-01-01T00:00:00.000Z"), "both versions")
            #expect(page.text.contains("indicates") && page.text.contains("indicator--00000003-0000-4000-8000-000000000000"))
            let hiddenPage = try await h.request(.get, "/intel/collections/\(w.collection.id)/objects/indicator--00000002-0000-4000-8000-000000000000",
                                                 headers: cookie)
            #expect(hiddenPage.status == .notFound, "a hidden object's page answers like a missing one")
        }
    }
}
