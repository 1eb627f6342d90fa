// The JSON API over real HTTP: authentication by Bearer and Basic, problem details for every
// failure with the offending field named, administrators' powers, tokens, and the audit log.
import Foundation
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Platform
import Server
import Testing
import TestSupport

@Suite("JSON API")
struct APITests {
    @Test("probes: liveness, readiness and Prometheus metrics with request counts and pool figures")
    func probes() async throws {
        try await Harness.run { h in
            #expect(try await h.request(.get, "/healthz").status == .ok)
            let ready = try await h.request(.get, "/readyz")
            #expect(ready.status == .ok)
            _ = try await h.request(.get, "/api/v1/me", token: h.adminToken)
            let metrics = try await h.request(.get, "/metrics")
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"clearinghouse_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#))
            #expect(metrics.text.contains("clearinghouse_http_request_duration_seconds_bucket"))
            #expect(metrics.text.contains(#"clearinghouse_db_pool_connections_max{engine="sqlite"}"#))
        }
    }

    @Test("no credentials, bad credentials and revoked tokens answer 401 problem details", arguments: Engine.available)
    func authentication(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let anonymous = try await h.request(.get, "/api/v1/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.contentType] == "application/problem+json")
            #expect(anonymous.headers[.wwwAuthenticate]?.contains("Basic") == true)
            #expect(try anonymous.json()["status"] as? Int == 401)
            #expect(try await h.request(.get, "/api/v1/me", token: "chs_forged").status == .unauthorized)
            let me = try await h.request(.get, "/api/v1/me", token: h.adminToken)
            #expect(me.status == .ok)
            #expect((try me.json()["user"] as? [String: Any])?["name"] as? String == "admin")
            // Basic: user name and a token, as TAXII clients send.
            let basic = Data("admin:\(h.adminToken)".utf8).base64EncodedString()
            #expect(try await h.request(.get, "/api/v1/me", headers: [.authorization: "Basic \(basic)"]).status == .ok)
            let wrongName = Data("someone:\(h.adminToken)".utf8).base64EncodedString()
            #expect(try await h.request(.get, "/api/v1/me", headers: [.authorization: "Basic \(wrongName)"]).status == .unauthorized)
            // The admin password is not an API credential.
            let password = Data("admin:\(h.adminPassword)".utf8).base64EncodedString()
            #expect(try await h.request(.get, "/api/v1/me", headers: [.authorization: "Basic \(password)"]).status == .unauthorized)
        }
    }

    @Test("administrators create organisations and users; others may not", arguments: Engine.available)
    func administration(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let created = try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: #"{"name": "Community Bank of Ames", "kind": "defender"}"#)
            #expect(created.status == .created)
            let orgId = try #require(try created.json()["id"] as? String)
            #expect(created.headers[.location] == "/api/v1/orgs/\(orgId)")
            let duplicate = try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: #"{"name": "Community Bank of Ames", "kind": "defender"}"#)
            #expect(duplicate.status == .conflict)
            let user = try await h.request(.post, "/api/v1/users", token: h.adminToken,
                                           json: #"{"name": "teller", "org": "Community Bank of Ames", "role": "member"}"#)
            #expect(user.status == .created)
            let generated = try #require(try user.json()["generated_password"] as? String)
            #expect(generated.count == 20)
            let (_, memberToken) = try await h.member(org: "Local Utility")
            let forbidden = try await h.request(.post, "/api/v1/orgs", token: memberToken, json: #"{"name": "X", "kind": "defender"}"#)
            #expect(forbidden.status == .forbidden)
            // A member sees the users of their own organisation only, and others' users do not exist for them.
            let list = try await h.request(.get, "/api/v1/users", token: memberToken)
            #expect(try list.json()["total"] as? Int == 1)
            let tellerId = try #require((try user.json()["user"] as? [String: Any])?["id"] as? String)
            #expect(try await h.request(.get, "/api/v1/users/\(tellerId)", token: memberToken).status == .notFound)
            #expect(try await h.request(.get, "/api/v1/users/\(tellerId)", token: h.adminToken).status == .ok)
        }
    }

    @Test("administrators change roles and disable users; a disabled user's tokens stop working", arguments: Engine.available)
    func updateUsers(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (user, token) = try await h.member(org: "Partner Lab", kind: .trustedPartner)
            let promoted = try await h.request(.patch, "/api/v1/users/\(user.id)", token: h.adminToken, json: #"{"role": "reviewer", "compartments": ["x"]}"#)
            #expect(promoted.status == .ok)
            #expect(try promoted.json()["role"] as? String == "reviewer")
            #expect(try await h.request(.get, "/api/v1/me", token: token).status == .ok)
            #expect(try await h.request(.patch, "/api/v1/users/\(user.id)", token: h.adminToken, json: #"{"disabled": true}"#).status == .ok)
            #expect(try await h.request(.get, "/api/v1/me", token: token).status == .unauthorized)
            // An administrator cannot lock themselves out.
            let admin = try #require(try await h.directory.user(named: "admin"))
            #expect(try await h.request(.patch, "/api/v1/users/\(admin.id)", token: h.adminToken, json: #"{"disabled": true}"#).status == .conflict)
            #expect(try await h.request(.patch, "/api/v1/users/\(user.id)", token: token, json: #"{"disabled": false}"#).status == .unauthorized)
            let actions = try await AuditLog.list(h.services.db, filter: AuditFilter(target: "user:\(user.id)")).map(\.action)
            #expect(actions.contains("user.update") && actions.contains("user.disable"))
        }
    }

    @Test("bad input answers 4xx naming the field, and writes nothing")
    func badInput() async throws {
        try await Harness.run { h in
            let before = try await AuditLog.head(h.services.db)
            let cases: [(String, HTTPResponse.Status, String?)] = [
                ("{not json", .badRequest, "$"),
                ("[1,2]", .badRequest, "$"),
                (#"{"name": "A", "kind": "pirate"}"#, .unprocessableContent, "$.kind"),
                (#"{"name": 5, "kind": "defender"}"#, .unprocessableContent, "$.name"),
                (#"{"kind": "defender"}"#, .unprocessableContent, "$.name"),
                (#"{"name": "A", "kind": "defender", "admin": true}"#, .unprocessableContent, "$.admin"),
                (#"{"name": "", "kind": "defender"}"#, .unprocessableContent, "name"),
            ]
            for (body, status, field) in cases {
                let response = try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: body)
                #expect(response.status == status, "\(body)")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try response.json()["field"] as? String == field, "\(body)")
            }
            let huge = "{\"name\": \"" + String(repeating: "a", count: 2 * 1024 * 1024) + "\", \"kind\": \"defender\"}"
            #expect(try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: huge).status == .contentTooLarge)
            let xml = try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: "<org/>", headers: [.contentType: "application/xml"])
            #expect(xml.status == .unsupportedMediaType)
            #expect(try await h.request(.get, "/api/v1/orgs?limit=0", token: h.adminToken).status == .badRequest)
            #expect(try await h.request(.get, "/api/v1/audit?since=yesterday", token: h.adminToken).status == .badRequest)
            #expect(try await h.request(.get, "/api/v1/nothing-here", token: h.adminToken).status == .notFound)
            let after = try await AuditLog.head(h.services.db)
            #expect(after.seq == before.seq)
        }
    }

    @Test("tokens: minted once, listed without secrets, revoked by owner, invisible to others", arguments: Engine.available)
    func tokens(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            let (_, memberToken) = try await h.member(org: "Water District")
            let minted = try await h.request(.post, "/api/v1/tokens", token: memberToken, json: #"{"label": "sensor", "scope": "read", "expires_in_days": 30}"#)
            #expect(minted.status == .created)
            let secret = try #require(try minted.json()["secret"] as? String)
            let id = try #require((try minted.json()["token"] as? [String: Any])?["id"] as? String)
            let list = try await h.request(.get, "/api/v1/tokens", token: memberToken)
            #expect(!list.text.contains(secret))
            #expect(try list.json()["total"] as? Int == 2)
            // A read-only token may read but not write.
            #expect(try await h.request(.get, "/api/v1/me", token: secret).status == .ok)
            #expect(try await h.request(.post, "/api/v1/tokens", token: secret, json: #"{"label": "x"}"#).status == .forbidden)
            // Another member cannot see or revoke it.
            let (_, otherToken) = try await h.member(org: "Another Org")
            #expect(try await h.request(.delete, "/api/v1/tokens/\(id)", token: otherToken).status == .notFound)
            #expect(try await h.request(.delete, "/api/v1/tokens/\(id)", token: memberToken).status == .noContent)
            #expect(try await h.request(.get, "/api/v1/me", token: secret).status == .unauthorized)
            let forOthers = try await h.request(.post, "/api/v1/tokens", token: memberToken, json: #"{"label": "x", "user_id": "someone"}"#)
            #expect(forOthers.status == .forbidden)
        }
    }

    @Test("the audit log is administrators' only, filterable, and verifies", arguments: Engine.available)
    func audit(engine: Engine) async throws {
        try await Harness.run(engine) { h in
            _ = try await h.request(.post, "/api/v1/orgs", token: h.adminToken, json: #"{"name": "Audited", "kind": "maintainer"}"#)
            let (_, memberToken) = try await h.member(org: "Nosy")
            #expect(try await h.request(.get, "/api/v1/audit", token: memberToken).status == .forbidden)
            let page = try await h.request(.get, "/api/v1/audit?action=org.create&limit=1", token: h.adminToken)
            let items = try #require(try page.json()["items"] as? [[String: Any]])
            #expect(items.count == 1 && items[0]["action"] as? String == "org.create")
            #expect(try page.json()["next_before"] is Int)
            let verify = try await h.request(.get, "/api/v1/audit/verify", token: h.adminToken)
            #expect(try verify.json()["valid"] as? Bool == true)
            let head = try await h.request(.get, "/api/v1/audit/head", token: h.adminToken)
            #expect(try head.json()["hash"] as? String == verify.json()["head"] as? String)
        }
    }

    @Test("the OpenAPI document describes exactly the API's routes")
    func openAPIMatchesRoutes() async throws {
        try await Harness.run { h in
            let response = try await h.request(.get, "/api/v1/openapi.json")
            #expect(response.status == .ok)
            let document = try response.json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            // TAXII's routes are checked against the router by TAXIITests.documentedRoutes.
            for (path, operations) in paths where !path.hasPrefix("/taxii2/") {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let served: Set<String> = [
                "GET /api/v1/me", "GET /api/v1/orgs", "POST /api/v1/orgs", "GET /api/v1/orgs/{id}", "GET /api/v1/users",
                "POST /api/v1/users", "GET /api/v1/users/{id}", "PATCH /api/v1/users/{id}", "GET /api/v1/tokens", "POST /api/v1/tokens",
                "DELETE /api/v1/tokens/{id}", "GET /api/v1/audit", "GET /api/v1/audit/head", "GET /api/v1/audit/verify",
                "GET /api/v1/openapi.json",
                "GET /api/v1/eval-runs", "POST /api/v1/eval-runs", "GET /api/v1/eval-runs/{id}", "GET /api/v1/eval-runs/{id}/samples",
            ]
            // Areas' routes (their own fragments) are checked by each area's own test against its controller.
            let areaPrefixes = ["/api/v1/frontier", "/api/v1/vulns/", "/api/v1/scans", "/api/v1/incidents", "/api/v1/tools/", "/api/v1/remediation/", "/api/v1/defender/"]
            #expect(documented.filter { entry in !areaPrefixes.contains { entry.contains($0) } } == served)
            // And every documented route is really answered (never 404 or 405) for an administrator.
            for entry in documented {
                let parts = entry.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = String(parts[1]).replacingOccurrences(of: #"\{[a-z_]+\}"#, with: "00000000-0000-0000-0000-000000000000", options: .regularExpression)
                let answer = try await h.request(method, uri, token: h.adminToken, json: method == .post || method == .patch ? "{}" : nil)
                #expect(answer.status != .methodNotAllowed, "\(entry)")
                if !uri.contains("0000") { #expect(answer.status != .notFound, "\(entry)") }
            }
        }
    }
}
