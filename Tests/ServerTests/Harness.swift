// Starts the application that ships on a real port, over a real database, with an administrator
// and a token, for the HTTP tests.
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Platform
import Server
import Testing
import TestSupport

extension Engine: CustomTestStringConvertible {}

struct Harness: Sendable {
    let client: any TestClientProtocol
    let services: AppServices
    let adminPassword: String
    let adminToken: String

    var directory: Directory { services.directory }

    static func run(_ engine: Engine = .sqlite, _ body: @Sendable (Harness) async throws -> Void) async throws {
        let test = try await TestDatabases.make(engine, migrations: Installation.migrations)
        var directory = Directory(db: test.db)
        directory.bcryptCost = 4
        let password = try #require(try await directory.bootstrapIfEmpty())
        let admin = try #require(try await directory.user(named: "admin"))
        let token = try await directory.createToken(userId: admin.id, label: "test", actor: "test").secret
        let services = try await AppServices(
            db: test.db, directory: directory, clock: .system, configuration: ServerConfiguration(host: "127.0.0.1", port: 0),
            secrets: .ephemeral())
        var logger = Logger(label: "test.server")
        logger.logLevel = .error
        let app = buildApplication(services, logger: logger)
        do {
            try await app.test(.live) { client in
                try await body(Harness(client: client, services: services, adminPassword: password, adminToken: token))
            }
        } catch {
            await test.close()
            throw error
        }
        await test.close()
    }

    @discardableResult
    func request(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil,
                 headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// A user of a new organisation with a token, for tests that need a second reader.
    func member(org: String, kind: OrganisationKind = .defender, role: Role = .member, scope: TokenScope? = nil) async throws -> (User, String) {
        let existing = try await directory.organisation(named: org)
        let o = if let existing { existing } else { try await directory.createOrganisation(name: org, kind: kind, actor: "test") }
        let user = try await directory.createUser(name: "\(org)-\(UUID().uuidString.prefix(6))", orgId: o.id, role: role,
                                                  password: "member password 1", actor: "test")
        let token = try await directory.createToken(userId: user.id, label: "t", scope: scope, actor: "test")
        return (user, token.secret)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }
}
