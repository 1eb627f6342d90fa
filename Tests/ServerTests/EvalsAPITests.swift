// The evaluation-run API over real HTTP: reviewers queue, labels decide who sees a run, bad input
// names its field, and every documented route is served.
import Foundation
import HTTPTypes
import HummingbirdTesting
import Platform
@testable import Server
import Testing
import TestSupport

struct EvalsAPITests {
    static let suiteJSON = #"{"name":"cyber-mc","version":"1.0","datasets":[{"path":"/data/mc.jsonl"}],"solver":{"type":"multiple_choice"},"scorer":{"type":"choice"}}"#

    @Test(arguments: Engine.available)
    func reviewersQueueRunsThatOnlyTheirLabelRevealsAndBadInputNamesItsField(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let body = #"{"suite":\#(Self.suiteJSON),"model":"openai:frontier-x","base_url":"http://127.0.0.1:9/v1","tlp":"amber"}"#
            let created = try await h.request(.post, "/api/v1/eval-runs", token: h.adminToken, json: body)
            #expect(created.status == .created)
            let run = try created.json()
            let id = try #require(run["id"] as? String)
            #expect(run["status"] as? String == "queued" && run["model_version_ref"] == nil && run["suite_version"] as? String == "1.0")
            #expect(created.headers[.location] == "/api/v1/eval-runs/\(id)")

            let list = try await h.request(.get, "/api/v1/eval-runs?model=openai:frontier-x", token: h.adminToken).json()
            #expect(list["total"] as? Int == 1)
            #expect(try await h.request(.get, "/api/v1/eval-runs/\(id)/samples", token: h.adminToken).text == "[]")

            // Another organisation's member: the AMBER run does not exist for them.
            let (_, outsider) = try await h.member(org: "Community Bank", role: .member)
            #expect(try await h.request(.get, "/api/v1/eval-runs/\(id)", token: outsider).status == .notFound)
            #expect(try await h.request(.get, "/api/v1/eval-runs", token: outsider).json()["total"] as? Int == 0)
            #expect(try await h.request(.post, "/api/v1/eval-runs", token: outsider, json: body).status == .forbidden)

            let bad = try await h.request(.post, "/api/v1/eval-runs", token: h.adminToken,
                                          json: #"{"suite":\#(Self.suiteJSON),"model":"gemini:x","base_url":"http://127.0.0.1:9/v1"}"#)
            #expect(bad.status.code == 422 || bad.status == .badRequest)
            #expect(try bad.json()["field"] as? String == "model")
            let badSuite = try await h.request(.post, "/api/v1/eval-runs", token: h.adminToken,
                                               json: #"{"suite":{"name":"x","version":"1","datasets":[]},"model":"openai:m","base_url":"http://h/v1"}"#)
            let badSuiteField = try badSuite.json()["field"] as? String
            #expect(badSuite.status.code == 422 && badSuiteField?.hasPrefix("$.suite") == true)
        }
    }

    @Test func everyDocumentedEvalRouteIsServed() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any])
        let documented = try #require(document["paths"] as? [String: [String: Any]]).filter { $0.key.hasPrefix("/api/v1/eval-runs") }
        #expect(Set(documented.keys) == ["/api/v1/eval-runs", "/api/v1/eval-runs/{id}", "/api/v1/eval-runs/{id}/samples"])
        let paths = documented.mapValues { Array($0.keys) }
        try await Harness.run { h in
            for (path, methods) in paths {
                for method in methods {
                    let uri = path.replacingOccurrences(of: "{id}", with: "00000000-0000-0000-0000-000000000000")
                    let response = try await h.request(HTTPRequest.Method(method.uppercased())!, uri)
                    // Unauthenticated: a served route answers 401; an unknown one would be 404.
                    #expect(response.status == .unauthorized, "\(method) \(path)")
                }
            }
        }
    }
}
