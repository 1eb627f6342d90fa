// Identities on both engines: organisations and users, passwords and throttled sign-in, API tokens
// with scope, expiry and revocation, and the guarantee that no secret reaches the database in clear.
import Foundation
import Platform
import Testing
import TestSupport

@Suite("Identities")
struct IdentityTests {
    func directory(_ db: any Database, _ clock: ManualClock = ManualClock()) -> Directory {
        var directory = Directory(db: db, clock: clock.clock)
        directory.bcryptCost = 4
        return directory
    }

    @Test("organisation and user names are unique and validated", arguments: Engine.available)
    func uniqueness(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let dir = directory(test.db)
            let org = try await dir.createOrganisation(name: "Rural Hospital of Ely", kind: .defender, actor: "test")
            await #expect(throws: DomainError.conflict("an organisation named Rural Hospital of Ely already exists")) {
                try await dir.createOrganisation(name: "Rural Hospital of Ely", kind: .maintainer, actor: "test")
            }
            await #expect(throws: DomainError.invalid(field: "name", reason: "must not be empty")) {
                try await dir.createOrganisation(name: "   ", kind: .defender, actor: "test")
            }
            _ = try await dir.createUser(name: "nurse", orgId: org.id, role: .member, password: "correct horse battery", actor: "test")
            await #expect(throws: DomainError.self) {
                try await dir.createUser(name: "nurse", orgId: org.id, role: .member, password: nil, actor: "test")
            }
            await #expect(throws: DomainError.invalid(field: "password", reason: "must be at least 12 characters")) {
                try await dir.createUser(name: "short", orgId: org.id, role: .member, password: "short", actor: "test")
            }
            #expect(try await dir.userCount(orgId: org.id) == 1)
        }
    }

    @Test("user ids resolve to their names, sorted, unknown ids left out", arguments: Engine.available)
    func namesOfIds(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let dir = directory(test.db)
            let org = try await dir.createOrganisation(name: "CERT", kind: .government, actor: "test")
            let zed = try await dir.createUser(name: "zed", orgId: org.id, role: .member, password: nil, actor: "test")
            let amy = try await dir.createUser(name: "amy", orgId: org.id, role: .member, password: nil, actor: "test")
            #expect(try await dir.userNames(ids: [zed.id, "no-such-user", amy.id]) == ["amy", "zed"])
            #expect(try await dir.userNames(ids: []) == [])
        }
    }

    @Test("sign-in checks the password and throttles repeated failures", arguments: Engine.available)
    func login(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let clock = ManualClock()
            let dir = directory(test.db, clock)
            let org = try await dir.createOrganisation(name: "Lab", kind: .aiDeveloper, actor: "test")
            let user = try await dir.createUser(name: "ada", orgId: org.id, role: .member, password: "a long enough password", actor: "test")
            #expect(try await dir.login(name: "ada", password: "a long enough password", address: "10.0.0.1").id == user.id)
            await #expect(throws: DomainError.unauthenticated) { try await dir.login(name: "ada", password: "wrong", address: "10.0.0.1") }
            await #expect(throws: DomainError.unauthenticated) { try await dir.login(name: "nobody", password: "x", address: "10.0.0.1") }
            for _ in 0..<4 { _ = try? await dir.login(name: "ada", password: "wrong", address: "10.0.0.2") }
            // Five failures for this name: even the right password is now refused until the window passes.
            do {
                _ = try await dir.login(name: "ada", password: "a long enough password", address: "10.0.0.3")
                Issue.record("sign-in was not throttled after five failures")
            } catch DomainError.rateLimited(let seconds) {
                #expect(seconds > 0 && seconds <= 15 * 60 + 1)
            }
            clock.advance(by: 16 * 60)
            #expect(try await dir.login(name: "ada", password: "a long enough password", address: "10.0.0.3").id == user.id)
            try await dir.setDisabled(userId: user.id, disabled: true, actor: "test")
            await #expect(throws: DomainError.unauthenticated) {
                try await dir.login(name: "ada", password: "a long enough password", address: "10.0.0.4")
            }
        }
    }

    @Test("tokens authenticate until revoked or expired, and keep their scope", arguments: Engine.available)
    func tokens(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let clock = ManualClock()
            let dir = directory(test.db, clock)
            let org = try await dir.createOrganisation(name: "CISA", kind: .government, actor: "test")
            let user = try await dir.createUser(name: "rev", orgId: org.id, role: .reviewer, password: nil, actor: "test")
            let forever = try await dir.createToken(userId: user.id, label: "ci", actor: "test")
            let weekly = try await dir.createToken(userId: user.id, label: "feed", scope: .read, expiresInDays: 7, actor: "test")
            #expect(forever.secret.hasPrefix("chs_") && forever.secret.count > 40)
            #expect(try await dir.authenticate(token: forever.secret)?.0.id == user.id)
            let (_, readToken) = try #require(try await dir.authenticate(token: weekly.secret))
            #expect(readToken.scope == "read")
            #expect(try await dir.reader(for: user, scope: readToken.scope).mayWrite == false)
            #expect(try await dir.authenticate(token: forever.secret + "x") == nil)
            #expect(try await dir.authenticate(token: "not-a-token") == nil)
            clock.advance(by: 8 * 86400)
            #expect(try await dir.authenticate(token: weekly.secret) == nil)
            try await dir.revokeToken(id: forever.token.id, actor: "test")
            #expect(try await dir.authenticate(token: forever.secret) == nil)
            await #expect(throws: DomainError.notFound("active token")) { try await dir.revokeToken(id: forever.token.id, actor: "test") }
            await #expect(throws: DomainError.invalid(field: "expires_in_days", reason: "must be between 1 and 3650")) {
                try await dir.createToken(userId: user.id, label: "bad", expiresInDays: 0, actor: "test")
            }
        }
    }

    @Test("no password, token or session secret is stored in clear", arguments: Engine.available)
    func secretsAtRest(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let dir = directory(test.db)
            let org = try await dir.createOrganisation(name: "Partner", kind: .trustedPartner, actor: "test")
            let password = "plain text password 123"
            let user = try await dir.createUser(name: "pat", orgId: org.id, role: .member, password: password, actor: "test")
            let token = try await dir.createToken(userId: user.id, label: "t", actor: "test")
            let session = try await dir.startSession(userId: user.id)
            #expect(try await dir.session(session)?.id == user.id)
            // Every text cell of every table, read back: none may hold a secret.
            let tables = ["organisations", "users", "api_tokens", "web_sessions", "login_attempts", "audit_log", "audit_head"]
            for table in tables {
                let rows = try await test.db.read { try await $0.query("SELECT * FROM \(table)") }
                for row in rows {
                    for value in row.values {
                        guard case .text(let text) = value else { continue }
                        #expect(!text.contains(password), "password in \(table)")
                        #expect(!text.contains(token.secret), "token in \(table)")
                        #expect(!text.contains(session), "session secret in \(table)")
                    }
                }
            }
            try await dir.endSession(session)
            #expect(try await dir.session(session) == nil)
        }
    }

    @Test("the first start creates one administrator, even when several processes race", arguments: Engine.available)
    func bootstrap(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let dir = directory(test.db)
            let passwords = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<3 { group.addTask { try await dir.bootstrapIfEmpty() } }
                return try await group.reduce(into: [String]()) { if let p = $1 { $0.append(p) } }
            }
            #expect(passwords.count == 1)
            let admin = try #require(try await dir.user(named: "admin"))
            #expect(admin.role == .admin)
            #expect(try await dir.login(name: "admin", password: passwords[0], address: "127.0.0.1").id == admin.id)
            #expect(try await dir.bootstrapIfEmpty() == nil)
            #expect(try await dir.userCount() == 1)
        }
    }

    @Test("every change is in the audit log with its actor", arguments: Engine.available)
    func audited(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let dir = directory(test.db)
            let org = try await dir.createOrganisation(name: "Maint", kind: .maintainer, actor: "user:root")
            let user = try await dir.createUser(name: "m", orgId: org.id, role: .member, password: nil, actor: "user:root")
            let token = try await dir.createToken(userId: user.id, label: "x", actor: "user:root")
            try await dir.revokeToken(id: token.token.id, actor: "user:root")
            let actions = try await AuditLog.list(test.db, filter: AuditFilter(actor: "user:root")).map(\.action)
            #expect(actions == ["token.revoke", "token.create", "user.create", "org.create"])
            guard case .valid = try await AuditLog.verify(test.db) else {
                Issue.record("chain broken")
                return
            }
        }
    }
}

@Suite("Secrets at rest")
struct SecretBoxTests {
    @Test("sealed secrets open with the same key only, and tampering is detected")
    func sealAndOpen() throws {
        let box = SecretBox.ephemeral()
        let sealed = try box.seal(Array("endpoint credential".utf8))
        #expect(!String(decoding: sealed, as: UTF8.self).contains("endpoint credential"))
        #expect(try box.open(sealed) == Array("endpoint credential".utf8))
        #expect(throws: (any Error).self) { try SecretBox.ephemeral().open(sealed) }
        var tampered = sealed
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: (any Error).self) { try box.open(tampered) }
        let encoded = SecretBox.generateEncodedKey()
        let a = try SecretBox(encodedKey: encoded), b = try SecretBox(encodedKey: encoded)
        #expect(try b.open(try a.seal([1, 2, 3])) == [1, 2, 3])
        #expect(throws: ConfigurationError.self) { try SecretBox(encodedKey: "too short") }
    }
}
