// The frontier program over real HTTP: a developer registers a model and version, keeps a ledger,
// opens an inquiry and a window; a reviewer designates; a partner accepts terms and gets the
// credential only while the window is open; an administrator loads a policy version that changes
// the verdict; pages render the charts. The documented routes equal the served ones.
import Foundation
import Frontier
import HTTPTypes
import HummingbirdTesting
import Platform
@testable import Server
import Testing
import TestSupport

@Suite("Frontier API and pages")
struct FrontierAPITests {
    static let served: Set<String> = [
        "GET /api/v1/frontier/models", "POST /api/v1/frontier/models", "GET /api/v1/frontier/models/{id}",
        "POST /api/v1/frontier/models/{id}/versions", "GET /api/v1/frontier/versions/{id}", "GET /api/v1/frontier/versions/{id}/credential",
        "POST /api/v1/frontier/versions/{id}/ledger", "POST /api/v1/frontier/versions/{id}/release", "POST /api/v1/frontier/versions/{id}/inquiries",
        "POST /api/v1/frontier/versions/{id}/windows", "POST /api/v1/frontier/inquiries/{id}/designations",
        "POST /api/v1/frontier/windows/{id}/accept", "POST /api/v1/frontier/windows/{id}/end", "POST /api/v1/frontier/windows/{id}/extend",
        "POST /api/v1/frontier/windows/{id}/withdraw", "GET /api/v1/frontier/policies", "POST /api/v1/frontier/policies",
        "GET /api/v1/frontier/terms", "POST /api/v1/frontier/terms", "GET /api/v1/frontier/terms/versions", "GET /api/v1/frontier/reference-models", "GET /api/v1/frontier/notifications",
    ]

    @Test("the OpenAPI fragment documents exactly the frontier routes, and each is answered")
    func openAPI() async throws {
        try await Harness.run { h in
            let document = try await h.request(.get, "/api/v1/openapi.json").json()
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, operations) in paths where path.hasPrefix("/api/v1/frontier") {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            #expect(documented == Self.served)
            for entry in documented {
                let parts = entry.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = String(parts[1]).replacingOccurrences(of: "{id}", with: "00000000-0000-0000-0000-000000000000")
                let answer = try await h.request(method, uri, token: h.adminToken, json: method == .post ? "{}" : nil)
                #expect(answer.status != .methodNotAllowed && answer.status != .internalServerError, "\(entry)")
                if !uri.contains("0000") { #expect(answer.status != .notFound, "\(entry)") }
            }
        }
    }

    @Test("developer, reviewer, partner and administrator through the API; never a gate", arguments: Engine.available)
    func flow(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, dev) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let (_, rev) = try await h.member(org: "CAISI", kind: .government, role: .reviewer)
            let (_, partner) = try await h.member(org: "Red Team", kind: .trustedPartner)
            let gov = try #require(try await h.directory.organisation(named: "CAISI")).id
            let partnerOrg = try #require(try await h.directory.organisation(named: "Red Team")).id

            let model = try await h.request(.post, "/api/v1/frontier/models", token: dev, json: #"{"name": "Atlas"}"#)
            #expect(model.status == .created)
            let modelId = try #require(try model.json()["id"] as? String)
            let bad = try await h.request(.post, "/api/v1/frontier/models/\(modelId)/versions", token: dev,
                                          json: #"{"version": "1", "total_parameters": -5}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.json()["field"] as? String == "$.total_parameters")
            let version = try await h.request(.post, "/api/v1/frontier/models/\(modelId)/versions", token: dev, json: """
                {"version": "1.0", "total_parameters": 70e9, "training_tokens": 15e12, "endpoint_url": "https://lab.example/v1",
                 "endpoint_credential": "sk-live-abc", "planned_release": "2026-12-01", "modalities": ["text"]}
                """)
            #expect(version.status == .created)
            #expect(!version.text.contains("sk-live-abc"))
            let vid = try #require(try version.json()["id"] as? String)

            // Ledger: an unknown accelerator is named by its field.
            let badItem = try await h.request(.post, "/api/v1/frontier/versions/\(vid)/ledger", token: dev,
                                              json: #"{"category": "fine-tuning", "accelerator": "Z9", "count": 8, "hours": 10, "utilization": 0.4}"#)
            #expect(badItem.status == .unprocessableContent)
            #expect(try badItem.json()["field"] as? String == "$.accelerator")
            let item = try await h.request(.post, "/api/v1/frontier/versions/\(vid)/ledger", token: dev,
                                           json: #"{"label": "pre-training", "category": "pre-training", "parameters": "70e9", "training_tokens": "15e12"}"#)
            #expect(item.status == .created)
            let detail = try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()
            let verdicts = try #require(detail["verdicts"] as? [[String: Any]])
            #expect(verdicts.map { $0["policy"] as? String } == ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"])
            #expect(verdicts.first { $0["policy"] as? String == "eu-ai-act" }?["verdict"] as? String == "does-not-exceed")

            // An administrator loads a new EU policy version at run time; the verdict changes.
            var policy = String(decoding: FrontierPolicyDocuments.builtin(id: "eu-ai-act"), as: UTF8.self)
            policy = policy.replacingOccurrences(of: "\"version\": \"1\"", with: "\"version\": \"2\"")
                .replacingOccurrences(of: "\"effective_date\": \"2025-08-02\"", with: "\"effective_date\": \"2025-09-01\"")
                .replacingOccurrences(of: "\"threshold\": 1e+25", with: "\"threshold\": 1e+24")
            #expect(try await h.request(.post, "/api/v1/frontier/policies", token: dev, json: policy).status == .forbidden)
            #expect(try await h.request(.post, "/api/v1/frontier/policies", token: h.adminToken, json: policy).status == .created)
            let after = try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: dev).json()
            let eu = try #require((after["verdicts"] as? [[String: Any]])?.first { $0["policy"] as? String == "eu-ai-act" })
            #expect(eu["verdict"] as? String == "exceeds" && eu["version"] as? String == "2")
            let policies = try await h.request(.get, "/api/v1/frontier/policies", token: dev).json()
            let euVersions = (policies["items"] as? [[String: Any]] ?? []).filter { $0["policy"] as? String == "eu-ai-act" }
            #expect(euVersions.count == 2)

            // Inquiry and designation.
            let inquiry = try await h.request(.post, "/api/v1/frontier/versions/\(vid)/inquiries", token: dev,
                                              json: #"{"question": "Is Atlas covered?", "government_orgs": ["\#(gov)"]}"#)
            #expect(inquiry.status == .created)
            let qid = try #require(try inquiry.json()["id"] as? String)
            let designation = try await h.request(.post, "/api/v1/frontier/inquiries/\(qid)/designations", token: rev,
                                                  json: #"{"designation": "covered", "rationale": "scores above the line"}"#)
            #expect(designation.status == .created)
            let inbox = try await h.request(.get, "/api/v1/frontier/notifications", token: dev).json()
            let notified = try #require((inbox["items"] as? [[String: Any]])?.first)
            #expect(notified["version_id"] as? String == vid)
            #expect((notified["designation"] as? [String: Any])?["designation"] as? String == "covered")

            // Window: the partner sees the credential only after accepting.
            let now = Date()
            let window = try await h.request(.post, "/api/v1/frontier/versions/\(vid)/windows", token: dev, json: """
                {"starts_at": "\(now.addingTimeInterval(-60).iso8601)", "ends_at": "\(now.addingTimeInterval(86_400 * 10).iso8601)", "invitees": ["\(partnerOrg)"]}
                """)
            #expect(window.status == .created)
            let wid = try #require(try window.json()["id"] as? String)
            #expect(try window.json()["status"] as? String == "open")
            let tooLong = try await h.request(.post, "/api/v1/frontier/windows/\(wid)/extend", token: dev,
                                              json: #"{"ends_at": "\#(now.addingTimeInterval(86_400 * 45).iso8601)"}"#)
            #expect(tooLong.status == .unprocessableContent)
            #expect(try await h.request(.get, "/api/v1/frontier/versions/\(vid)/credential", token: partner).status == .forbidden)
            #expect(try await h.request(.post, "/api/v1/frontier/windows/\(wid)/accept", token: partner, json: #"{"terms_version": "1"}"#).status == .ok)
            let credential = try await h.request(.get, "/api/v1/frontier/versions/\(vid)/credential", token: partner)
            #expect(try credential.json()["endpoint_credential"] as? String == "sk-live-abc")

            // Reviewer and administrator cannot end, extend, withdraw or release in the developer's place.
            for token in [rev, h.adminToken] {
                #expect(try await h.request(.post, "/api/v1/frontier/versions/\(vid)/release", token: token).status == .forbidden)
            }
            #expect(try await h.request(.post, "/api/v1/frontier/windows/\(wid)/withdraw", token: h.adminToken).status == .forbidden)
            // The developer releases at once, a designation of "covered" notwithstanding.
            let released = try await h.request(.post, "/api/v1/frontier/versions/\(vid)/release", token: dev)
            #expect(try released.status == .ok && released.json()["released_at"] != nil)
            #expect(try await h.request(.get, "/api/v1/frontier/versions/\(vid)/credential", token: partner).status == .forbidden)

            // A stranger sees nothing.
            let (_, other) = try await h.member(org: "Other Lab", kind: .aiDeveloper)
            #expect(try await h.request(.get, "/api/v1/frontier/versions/\(vid)", token: other).status == .notFound)
        }
    }

    @Test("the version page draws the compute chart with thresholds; the landscape page renders")
    func pages() async throws {
        try await Harness.run { h in
            let (devUser, dev) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let model = try await h.request(.post, "/api/v1/frontier/models", token: dev, json: #"{"name": "Atlas"}"#).json()
            let modelId = try #require(model["id"] as? String)
            let version = try await h.request(.post, "/api/v1/frontier/models/\(modelId)/versions", token: dev,
                                              json: #"{"version": "2", "total_parameters": 1e12, "training_tokens": 2e13}"#).json()
            let vid = try #require(version["id"] as? String)
            let secret = try #require(try await WebTests().signIn(h, name: devUser.name, password: "member password 1").1)
            let cookie = "ch_session=\(secret)"
            let page = try await h.request(.get, "/frontier/versions/\(vid)", headers: [.cookie: cookie])
            #expect(page.status == .ok)
            #expect(page.text.contains("<svg class=\"chart\""))
            #expect(page.text.contains("<title id=\"ci-title\">"))
            #expect(page.text.contains("class=\"threshold\""))
            #expect(page.text.contains("Why eu-ai-act: exceeds"))
            let landscape = try await h.request(.get, "/frontier/landscape", headers: [.cookie: cookie])
            #expect(landscape.status == .ok && landscape.text.contains("No reference models are loaded yet"))
            let list = try await h.request(.get, "/frontier", headers: [.cookie: cookie])
            #expect(list.text.contains("Atlas"))
            // The developer releases from the page; a post without the session's CSRF token is refused.
            let formHeaders: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
            let forged = try await h.request(.post, "/frontier/versions/\(vid)/release", json: "_csrf=guess", headers: formHeaders)
            #expect(forged.status == .forbidden)
            let csrf = try #require(WebTests().hiddenCSRF(page.text))
            let released = try await h.request(.post, "/frontier/versions/\(vid)/release", json: "_csrf=\(csrf)", headers: formHeaders)
            #expect(released.status == .seeOther)
            let after = try await h.request(.get, "/frontier/versions/\(vid)", headers: [.cookie: cookie])
            #expect(after.text.contains("Released ") && !after.text.contains("Release this version now"))
        }
    }

    @Test("the landscape draws Epoch's notable models with the thresholds and names the three above 10^26",
          .enabled(if: SharedData.root != nil, "needs ../shared/data/epoch-ai-models"))
    func landscapeWithEpoch() async throws {
        let csv = try #require(SharedData.root?.appendingPathComponent("epoch-ai-models/epoch_notable_ai_models_raw.csv"))
        let models = try EpochImport.parse(csv: try String(contentsOf: csv, encoding: .utf8))
        try await Harness.run { h in
            let store = try FrontierStore(db: h.services.db, secrets: .ephemeral())
            _ = try await store.importReferenceModels(models, actor: "test", at: Date())
            let (user, _) = try await h.member(org: "Lab", kind: .aiDeveloper)
            let secret = try #require(try await WebTests().signIn(h, name: user.name, password: "member password 1").1)
            let page = try await h.request(.get, "/frontier/landscape", headers: [.cookie: "ch_session=\(secret)"])
            #expect(page.status == .ok)
            #expect(page.text.contains("<title id=\"ls-title\">"))
            #expect(page.text.components(separatedBy: "class=\"point\"").count - 1 == 521)
            // The text alternative: three models above each 10^26 line, named; twenty above 10^25.
            let rows = page.text.components(separatedBy: "<tr>").filter { $0.contains("<th scope=\"row\">") }
            let above26 = rows.filter { $0.contains("1.00e+26") }
            #expect(above26.count == 3 && above26.allSatisfy { $0.contains("<td>3</td>") && $0.contains("GPT-4.5") && $0.contains("Grok 3") && $0.contains("Grok 4") })
            #expect(rows.contains { $0.contains("eu-ai-act 1.00e+25") && $0.contains("<td>20</td>") })
            let api = try await h.request(.get, "/api/v1/frontier/reference-models?min_flop=1e26", token: h.adminToken).json()
            #expect(api["total"] as? Int == 3)
        }
    }
}
