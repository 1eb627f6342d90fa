// Organisations, users, API tokens, web sessions and login throttling: who can act in Clearinghouse
// and how they prove it. Secrets never reach the database in clear (bcrypt for passwords, SHA-256
// for tokens and session ids), and every change is written to the audit log in the same transaction.
import Foundation

public struct Organisation: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var kind: OrganisationKind
    public var createdAt: Date
}

public struct User: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var orgId: String
    public var role: Role
    public var compartments: [String]
    public var disabled: Bool
    public var createdAt: Date
}

public struct APIToken: Sendable, Codable, Equatable {
    public var id: String
    public var userId: String
    public var label: String
    public var scope: String?
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?

    public func isActive(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// A token as minted: the secret is in `secret` and nowhere else, ever again.
public struct MintedToken: Sendable {
    public var token: APIToken
    public var secret: String
}

public enum TokenScope: String, CaseIterable, Sendable {
    case read, write
}

/// The identity store: every operation on organisations, users, tokens and sessions.
public struct Directory: Sendable {
    public let db: any Database
    public let clock: Clock
    /// bcrypt cost; tests lower it to keep the suite quick.
    public var bcryptCost: UInt8 = Secrets.bcryptCost
    /// How long a web session lasts without being renewed.
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// Failed logins allowed per user name and per client address within `throttleWindow`.
    public var maxFailuresPerName = 5
    public var maxFailuresPerAddress = 20
    public var throttleWindow: TimeInterval = 15 * 60

    public init(db: any Database, clock: Clock = .system) {
        self.db = db
        self.clock = clock
    }

    static let tokenPrefix = "chs_"
    static let nameLimit = 200

    // MARK: Organisations

    public func createOrganisation(name: String, kind: OrganisationKind, actor: String) async throws -> Organisation {
        let name = try Self.validName(name, field: "name")
        let org = Organisation(id: UUID().uuidString.lowercased(), name: name, kind: kind, createdAt: clock.now())
        try await db.write { conn in
            if try await conn.first("SELECT id FROM organisations WHERE name = $1", [.text(name)]) != nil {
                throw DomainError.conflict("an organisation named \(name) already exists")
            }
            try await conn.execute(
                "INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)",
                [.text(org.id), .text(org.name), .text(org.kind.rawValue), .int(org.createdAt.microsecondsSinceEpoch)])
            try await AuditLog.append(
                AuditEvent(actor: actor, action: "org.create", target: "org:\(org.id)", detail: ["name": name, "kind": kind.rawValue]),
                at: org.createdAt, on: conn)
        }
        return org
    }

    public func organisations(limit: Int = 100, offset: Int = 0) async throws -> [Organisation] {
        try await db.read { conn in
            try await conn.query(
                "SELECT id, name, kind, created_at FROM organisations ORDER BY name LIMIT $1 OFFSET $2",
                [.int(Int64(limit)), .int(Int64(offset))]).map(Self.organisation)
        }
    }

    public func organisationCount() async throws -> Int {
        Int(try await db.read { try await $0.scalarInt("SELECT count(*) FROM organisations") })
    }

    public func organisation(id: String) async throws -> Organisation? {
        try await db.read { conn in
            try await conn.first("SELECT id, name, kind, created_at FROM organisations WHERE id = $1", [.text(id)]).map(Self.organisation)
        }
    }

    public func organisation(named name: String) async throws -> Organisation? {
        try await db.read { conn in
            try await conn.first("SELECT id, name, kind, created_at FROM organisations WHERE name = $1", [.text(name)]).map(Self.organisation)
        }
    }

    static func organisation(_ row: SQLRow) throws -> Organisation {
        guard let kind = OrganisationKind(rawValue: try row.string("kind")) else {
            throw StorageError.unexpectedValue(column: "kind", expected: "an organisation kind")
        }
        return Organisation(id: try row.string("id"), name: try row.string("name"), kind: kind,
                            createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")))
    }

    // MARK: Users

    public func createUser(name: String, orgId: String, role: Role, password: String?, compartments: [String] = [],
                           actor: String) async throws -> User {
        let name = try Self.validName(name, field: "name")
        if let password { try Self.checkPassword(password) }
        let hash: String? = if let password { try await Secrets.hashPassword(password, cost: bcryptCost) } else { nil }
        let user = User(id: UUID().uuidString.lowercased(), name: name, orgId: orgId, role: role,
                        compartments: LabelColumns.decodeList(LabelColumns.encodeList(compartments)), disabled: false, createdAt: clock.now())
        try await db.write { conn in
            if try await conn.first("SELECT id FROM organisations WHERE id = $1", [.text(orgId)]) == nil {
                throw DomainError.invalid(field: "org", reason: "no such organisation")
            }
            if try await conn.first("SELECT id FROM users WHERE name = $1", [.text(name)]) != nil {
                throw DomainError.conflict("a user named \(name) already exists")
            }
            try await conn.execute(
                """
                INSERT INTO users (id, name, org_id, role, password_hash, compartments, disabled, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, 0, $7)
                """,
                [.text(user.id), .text(name), .text(orgId), .text(role.rawValue), SQLValue(hash),
                 .text(LabelColumns.encodeList(compartments)), .int(user.createdAt.microsecondsSinceEpoch)])
            try await AuditLog.append(
                AuditEvent(actor: actor, action: "user.create", target: "user:\(user.id)",
                           detail: ["name": name, "org": orgId, "role": role.rawValue, "compartments": user.compartments.joined(separator: ",")]),
                at: user.createdAt, on: conn)
        }
        return user
    }

    public func setPassword(userId: String, password: String, actor: String) async throws {
        try Self.checkPassword(password)
        let hash = try await Secrets.hashPassword(password, cost: bcryptCost)
        let now = clock.now()
        try await db.write { conn in
            guard try await conn.first("UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING id", [.text(hash), .text(userId)]) != nil else {
                throw DomainError.notFound("user")
            }
            // A new password ends every web session of that user.
            try await conn.execute("DELETE FROM web_sessions WHERE user_id = $1", [.text(userId)])
            try await AuditLog.append(AuditEvent(actor: actor, action: "user.password", target: "user:\(userId)"), at: now, on: conn)
        }
    }

    public func setDisabled(userId: String, disabled: Bool, actor: String) async throws {
        let now = clock.now()
        try await db.write { conn in
            guard try await conn.first("UPDATE users SET disabled = $1 WHERE id = $2 RETURNING id", [SQLValue(disabled), .text(userId)]) != nil else {
                throw DomainError.notFound("user")
            }
            if disabled { try await conn.execute("DELETE FROM web_sessions WHERE user_id = $1", [.text(userId)]) }
            try await AuditLog.append(
                AuditEvent(actor: actor, action: disabled ? "user.disable" : "user.enable", target: "user:\(userId)"), at: now, on: conn)
        }
    }

    /// Changes a user's role or compartments; the change is audited with both old and new values.
    public func update(userId: String, role: Role?, compartments: [String]?, actor: String) async throws -> User {
        let now = clock.now()
        return try await db.write { conn in
            guard let row = try await conn.first("SELECT * FROM users WHERE id = $1", [.text(userId)]) else {
                throw DomainError.notFound("user")
            }
            var user = try Self.user(row)
            var detail: [String: String] = [:]
            if let role, role != user.role {
                detail["role"] = "\(user.role.rawValue) -> \(role.rawValue)"
                user.role = role
            }
            if let compartments {
                let encoded = LabelColumns.encodeList(compartments)
                let normalised = LabelColumns.decodeList(encoded)
                if normalised != user.compartments {
                    detail["compartments"] = "\(user.compartments.joined(separator: ",")) -> \(normalised.joined(separator: ","))"
                    user.compartments = normalised
                }
            }
            guard !detail.isEmpty else { return user }
            try await conn.execute(
                "UPDATE users SET role = $1, compartments = $2 WHERE id = $3",
                [.text(user.role.rawValue), .text(LabelColumns.encodeList(user.compartments)), .text(userId)])
            try await AuditLog.append(AuditEvent(actor: actor, action: "user.update", target: "user:\(userId)", detail: detail), at: now, on: conn)
            return user
        }
    }

    public func users(orgId: String? = nil, limit: Int = 100, offset: Int = 0) async throws -> [User] {
        try await db.read { conn in
            if let orgId {
                return try await conn.query(
                    "SELECT * FROM users WHERE org_id = $1 ORDER BY name LIMIT $2 OFFSET $3",
                    [.text(orgId), .int(Int64(limit)), .int(Int64(offset))]).map(Self.user)
            }
            return try await conn.query(
                "SELECT * FROM users ORDER BY name LIMIT $1 OFFSET $2", [.int(Int64(limit)), .int(Int64(offset))]).map(Self.user)
        }
    }

    public func userCount(orgId: String? = nil) async throws -> Int {
        Int(try await db.read { conn in
            if let orgId { return try await conn.scalarInt("SELECT count(*) FROM users WHERE org_id = $1", [.text(orgId)]) }
            return try await conn.scalarInt("SELECT count(*) FROM users")
        })
    }

    public func user(id: String) async throws -> User? {
        try await db.read { try await $0.first("SELECT * FROM users WHERE id = $1", [.text(id)]).map(Self.user) }
    }

    public func user(named name: String) async throws -> User? {
        try await db.read { try await $0.first("SELECT * FROM users WHERE name = $1", [.text(name)]).map(Self.user) }
    }

    /// The user names of these user ids, sorted; ids that name no user are left out.
    public func userNames(ids: [String]) async throws -> [String] {
        guard !ids.isEmpty else { return [] }
        return try await db.read { conn in
            try await conn.query("SELECT name FROM users WHERE id IN (\(SQLPlaceholders.list(ids.count, from: 1))) ORDER BY name",
                                 ids.map { .text($0) }).map { try $0.string("name") }
        }
    }

    static func user(_ row: SQLRow) throws -> User {
        guard let role = Role(rawValue: try row.string("role")) else {
            throw StorageError.unexpectedValue(column: "role", expected: "a role")
        }
        return User(id: try row.string("id"), name: try row.string("name"), orgId: try row.string("org_id"), role: role,
                    compartments: LabelColumns.decodeList(try row.string("compartments")), disabled: try row.bool("disabled"),
                    createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")))
    }

    /// The reader a user acts as.
    public func reader(for user: User, scope: String? = nil) async throws -> Reader {
        guard let org = try await organisation(id: user.orgId) else { throw DomainError.notFound("organisation") }
        return Reader(userId: user.id, userName: user.name, orgId: org.id, orgKind: org.kind, role: user.role,
                      compartments: Set(user.compartments), scope: scope)
    }

    // MARK: Passwords and throttling

    /// Checks a user name and password, counting failures per name and per client address in the
    /// database (so every server process sees the same count). Throws `rateLimited` once either
    /// limit is reached, before bcrypt runs, and `unauthenticated` for any wrong combination.
    public func login(name: String, password: String, address: String) async throws -> User {
        let now = clock.now()
        let keys = ["name:\(name.lowercased())", "addr:\(address)"]
        let limits = [maxFailuresPerName, maxFailuresPerAddress]
        let window = Int64(throttleWindow * 1_000_000)
        let nowUS = now.microsecondsSinceEpoch
        let counts = try await db.read { conn in
            try await conn.query(
                "SELECT key, window_start, failures FROM login_attempts WHERE key IN ($1, $2)", [.text(keys[0]), .text(keys[1])])
        }
        for row in counts {
            let key = try row.string("key"), start = try row.int("window_start"), failures = try row.int("failures")
            guard let index = keys.firstIndex(of: key), nowUS - start < window else { continue }
            if failures >= Int64(limits[index]) {
                throw DomainError.rateLimited(retryAfterSeconds: Int((start + window - nowUS) / 1_000_000) + 1)
            }
        }
        let (found, hash) = try await db.read { conn -> (User?, String?) in
            guard let row = try await conn.first("SELECT * FROM users WHERE name = $1", [.text(name)]) else { return (nil, nil) }
            return (try Self.user(row), row.optionalString("password_hash"))
        }
        // Run bcrypt even for unknown names so timing does not reveal which names exist.
        let ok = try await Secrets.verifyPassword(password, hash: hash ?? Self.dummyHash)
        guard let found, hash != nil, ok, !found.disabled else {
            try await db.write { conn in
                for key in keys {
                    try await conn.execute(
                        """
                        INSERT INTO login_attempts (key, window_start, failures) VALUES ($1, $2, 1)
                        ON CONFLICT (key) DO UPDATE SET
                          failures = CASE WHEN $2 - login_attempts.window_start >= $3 THEN 1 ELSE login_attempts.failures + 1 END,
                          window_start = CASE WHEN $2 - login_attempts.window_start >= $3 THEN $2 ELSE login_attempts.window_start END
                        """,
                        [.text(key), .int(nowUS), .int(window)])
                }
                try await AuditLog.append(
                    AuditEvent(actor: "anonymous", action: "login.fail", target: "user-name:\(name)", detail: ["address": address]),
                    at: now, on: conn)
            }
            throw DomainError.unauthenticated
        }
        try await db.write { conn in
            try await conn.execute("DELETE FROM login_attempts WHERE key = $1", [.text(keys[0])])
        }
        return found
    }

    /// A valid bcrypt hash of a random string, compared against when the name is unknown.
    static let dummyHash = "$2b$12$C6UzMDM.H6dfI/f/IKxGhuUCRaXzGn4TGF4rqqVoVb5n0vYV6QJ3e"

    static func checkPassword(_ password: String) throws {
        guard password.count >= 12 else { throw DomainError.invalid(field: "password", reason: "must be at least 12 characters") }
        guard password.utf8.count <= 72 else {
            throw DomainError.invalid(field: "password", reason: "must be at most 72 bytes (bcrypt's limit)")
        }
    }

    static func validName(_ raw: String, field: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw DomainError.invalid(field: field, reason: "must not be empty") }
        guard name.count <= nameLimit else { throw DomainError.invalid(field: field, reason: "must be at most \(nameLimit) characters") }
        guard !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw DomainError.invalid(field: field, reason: "must not contain control characters")
        }
        return name
    }

    // MARK: API tokens

    public func createToken(userId: String, label: String, scope: TokenScope? = nil, expiresInDays: Int? = nil,
                            actor: String) async throws -> MintedToken {
        let label = try Self.validName(label, field: "label")
        if let days = expiresInDays, !(1...3650).contains(days) {
            throw DomainError.invalid(field: "expires_in_days", reason: "must be between 1 and 3650")
        }
        let now = clock.now()
        let secret = Self.tokenPrefix + Secrets.randomToken()
        let token = APIToken(
            id: UUID().uuidString.lowercased(), userId: userId, label: label, scope: scope?.rawValue, createdAt: now,
            expiresAt: expiresInDays.map { now.addingTimeInterval(Double($0) * 86400) }, revokedAt: nil, lastUsedAt: nil)
        try await db.write { conn in
            guard try await conn.first("SELECT id FROM users WHERE id = $1", [.text(userId)]) != nil else {
                throw DomainError.notFound("user")
            }
            try await conn.execute(
                """
                INSERT INTO api_tokens (id, user_id, token_hash, label, scope, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """,
                [.text(token.id), .text(userId), .text(Secrets.sha256Hex(secret)), .text(label), SQLValue(token.scope),
                 .int(now.microsecondsSinceEpoch), SQLValue(token.expiresAt?.microsecondsSinceEpoch)])
            try await AuditLog.append(
                AuditEvent(actor: actor, action: "token.create", target: "token:\(token.id)",
                           detail: ["user": userId, "label": label, "scope": token.scope ?? "all",
                                    "expires": token.expiresAt?.iso8601 ?? "never"]),
                at: now, on: conn)
        }
        return MintedToken(token: token, secret: secret)
    }

    public func tokens(userId: String? = nil) async throws -> [APIToken] {
        try await db.read { conn in
            let columns = "id, user_id, label, scope, created_at, expires_at, revoked_at, last_used_at"
            let rows = if let userId {
                try await conn.query("SELECT \(columns) FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC", [.text(userId)])
            } else {
                try await conn.query("SELECT \(columns) FROM api_tokens ORDER BY created_at DESC LIMIT 500")
            }
            return try rows.map(Self.token)
        }
    }

    public func token(id: String) async throws -> APIToken? {
        try await db.read { conn in
            try await conn.first(
                "SELECT id, user_id, label, scope, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = $1",
                [.text(id)]).map(Self.token)
        }
    }

    static func token(_ row: SQLRow) throws -> APIToken {
        APIToken(
            id: try row.string("id"), userId: try row.string("user_id"), label: try row.string("label"),
            scope: row.optionalString("scope"), createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")),
            expiresAt: row.optionalInt("expires_at").map(Date.init(microsecondsSinceEpoch:)),
            revokedAt: row.optionalInt("revoked_at").map(Date.init(microsecondsSinceEpoch:)),
            lastUsedAt: row.optionalInt("last_used_at").map(Date.init(microsecondsSinceEpoch:)))
    }

    public func revokeToken(id: String, actor: String) async throws {
        let now = clock.now()
        try await db.write { conn in
            guard try await conn.first(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id",
                [.int(now.microsecondsSinceEpoch), .text(id)]) != nil
            else { throw DomainError.notFound("active token") }
            try await AuditLog.append(AuditEvent(actor: actor, action: "token.revoke", target: "token:\(id)"), at: now, on: conn)
        }
    }

    /// The user behind a presented token, if it is known, active and its user enabled.
    public func authenticate(token secret: String) async throws -> (User, APIToken)? {
        guard secret.hasPrefix(Self.tokenPrefix), secret.count < 200 else { return nil }
        let now = clock.now()
        let found = try await db.read { conn -> (User, APIToken)? in
            guard let row = try await conn.first(
                "SELECT id, user_id, label, scope, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
                [.text(Secrets.sha256Hex(secret))])
            else { return nil }
            let token = try Self.token(row)
            guard let userRow = try await conn.first("SELECT * FROM users WHERE id = $1", [.text(token.userId)]) else { return nil }
            return (try Self.user(userRow), token)
        }
        guard let (user, token) = found, token.isActive(at: now), !user.disabled else { return nil }
        // Record use at most once a minute per token, to keep reads from becoming writes.
        if (token.lastUsedAt.map { now.timeIntervalSince($0) > 60 } ?? true) {
            try? await db.write { conn in
                try await conn.execute("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", [.int(now.microsecondsSinceEpoch), .text(token.id)])
            }
        }
        return (user, token)
    }

    // MARK: Web sessions

    /// Starts a session and returns the cookie value (stored only as its SHA-256).
    public func startSession(userId: String) async throws -> String {
        let secret = Secrets.randomToken()
        let now = clock.now()
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                [.text(Secrets.sha256Hex(secret)), .text(userId), .int(now.microsecondsSinceEpoch),
                 .int(now.addingTimeInterval(sessionLifetime).microsecondsSinceEpoch)])
            try await conn.execute("DELETE FROM web_sessions WHERE expires_at < $1", [.int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: "user:\(userId)", action: "login", target: "user:\(userId)"), at: now, on: conn)
        }
        return secret
    }

    public func session(_ secret: String) async throws -> User? {
        guard !secret.isEmpty, secret.count < 200 else { return nil }
        let now = clock.now().microsecondsSinceEpoch
        return try await db.read { conn in
            guard let row = try await conn.first(
                "SELECT u.* FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
                [.text(Secrets.sha256Hex(secret)), .int(now)])
            else { return nil }
            return try Self.user(row)
        }
    }

    public func endSession(_ secret: String) async throws {
        let now = clock.now()
        try await db.write { conn in
            if let row = try await conn.first(
                "DELETE FROM web_sessions WHERE id_hash = $1 RETURNING user_id", [.text(Secrets.sha256Hex(secret))]) {
                let userId = try row.string("user_id")
                try await AuditLog.append(AuditEvent(actor: "user:\(userId)", action: "logout", target: "user:\(userId)"), at: now, on: conn)
            }
        }
    }

    /// The CSRF token that forms of this session must echo: derived from the session secret, so
    /// nothing more is stored and another process derives the same value.
    public static func csrfToken(forSession secret: String) -> String {
        Secrets.sha256Hex("csrf:" + secret)
    }

    // MARK: First start

    /// On an empty database, creates the installation's organisation and its `admin` user with a
    /// generated password, returned once for the operator. Returns nil when users already exist
    /// (another process may have bootstrapped first).
    public func bootstrapIfEmpty() async throws -> String? {
        guard try await userCount() == 0 else { return nil }
        let password = Secrets.generatePassword()
        let hash = try await Secrets.hashPassword(password, cost: bcryptCost)
        let now = clock.now()
        let created = try await db.write { conn -> Bool in
            // The audit head's row lock serialises racing first starts; then re-check.
            try await conn.execute("UPDATE audit_head SET seq = seq WHERE id = 1")
            guard try await conn.scalarInt("SELECT count(*) FROM users") == 0 else { return false }
            let orgId = UUID().uuidString.lowercased()
            let userId = UUID().uuidString.lowercased()
            let orgName = "Clearinghouse operators"
            if try await conn.first("SELECT id FROM organisations WHERE name = $1", [.text(orgName)]) == nil {
                try await conn.execute(
                    "INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, 'government', $3)",
                    [.text(orgId), .text(orgName), .int(now.microsecondsSinceEpoch)])
                try await AuditLog.append(
                    AuditEvent(actor: "system", action: "org.create", target: "org:\(orgId)", detail: ["name": orgName, "kind": "government"]),
                    at: now, on: conn)
            }
            let org = try await conn.first("SELECT id FROM organisations WHERE name = $1", [.text(orgName)])
            let ownerId = try org?.string("id") ?? orgId
            try await conn.execute(
                "INSERT INTO users (id, name, org_id, role, password_hash, created_at) VALUES ($1, 'admin', $2, 'admin', $3, $4)",
                [.text(userId), .text(ownerId), .text(hash), .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(
                AuditEvent(actor: "system", action: "user.create", target: "user:\(userId)", detail: ["name": "admin", "role": "admin"]),
                at: now, on: conn)
            return true
        }
        return created ? password : nil
    }
}
