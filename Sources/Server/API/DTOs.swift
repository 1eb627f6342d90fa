// Request and response bodies of the JSON API, kept apart from the stored records so the wire
// format can stay stable while storage changes. Keys are snake_case on the wire.
import Foundation
import Platform

struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var total: Int
    var limit: Int
    var offset: Int
}

struct OrgDTO: Codable, Sendable {
    var id: String
    var name: String
    var kind: String
    var createdAt: Date

    init(_ org: Organisation) {
        id = org.id
        name = org.name
        kind = org.kind.rawValue
        createdAt = org.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, kind
        case createdAt = "created_at"
    }
}

struct UserDTO: Codable, Sendable {
    var id: String
    var name: String
    var orgId: String
    var role: String
    var compartments: [String]
    var disabled: Bool
    var createdAt: Date

    init(_ user: User) {
        id = user.id
        name = user.name
        orgId = user.orgId
        role = user.role.rawValue
        compartments = user.compartments
        disabled = user.disabled
        createdAt = user.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, role, compartments, disabled
        case orgId = "org_id"
        case createdAt = "created_at"
    }
}

struct MeDTO: Encodable, Sendable {
    var user: UserDTO
    var organisation: OrgDTO
    var tokenScope: String?

    enum CodingKeys: String, CodingKey {
        case user, organisation
        case tokenScope = "token_scope"
    }
}

struct CreatedUserDTO: Encodable, Sendable {
    var user: UserDTO
    /// Present only when the server generated the password: shown this once.
    var generatedPassword: String?

    enum CodingKeys: String, CodingKey {
        case user
        case generatedPassword = "generated_password"
    }
}

struct TokenDTO: Codable, Sendable {
    var id: String
    var userId: String
    var label: String
    var scope: String?
    var createdAt: Date
    var expiresAt: Date?
    var revokedAt: Date?
    var lastUsedAt: Date?
    var active: Bool

    init(_ token: APIToken, now: Date) {
        id = token.id
        userId = token.userId
        label = token.label
        scope = token.scope
        createdAt = token.createdAt
        expiresAt = token.expiresAt
        revokedAt = token.revokedAt
        lastUsedAt = token.lastUsedAt
        active = token.isActive(at: now)
    }

    enum CodingKeys: String, CodingKey {
        case id, label, scope, active
        case userId = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case lastUsedAt = "last_used_at"
    }
}

struct CreatedTokenDTO: Encodable, Sendable {
    var token: TokenDTO
    /// The token itself: shown this once, stored only as a hash.
    var secret: String
}

struct AuditEntryDTO: Encodable, Sendable {
    var seq: Int64
    var at: Date
    var actor: String
    var action: String
    var target: String
    var detail: String
    var changeDigest: String
    var prevHash: String
    var hash: String

    init(_ e: AuditEntry) {
        seq = e.seq
        at = e.at
        actor = e.actor
        action = e.action
        target = e.target
        detail = e.detail
        changeDigest = e.changeDigest
        prevHash = e.prevHash
        hash = e.hash
    }

    enum CodingKeys: String, CodingKey {
        case seq, at, actor, action, target, detail, hash
        case changeDigest = "change_digest"
        case prevHash = "prev_hash"
    }
}

struct AuditPage: Encodable, Sendable {
    var items: [AuditEntryDTO]
    /// Pass as `before` to get the next (older) page; absent on the last page.
    var nextBefore: Int64?

    enum CodingKeys: String, CodingKey {
        case items
        case nextBefore = "next_before"
    }
}

struct AuditHeadDTO: Encodable, Sendable {
    var seq: Int64
    var hash: String
}

struct AuditVerifyDTO: Encodable, Sendable {
    var valid: Bool
    var entries: Int64?
    var head: String?
    var brokenAt: Int64?
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case valid, entries, head, reason
        case brokenAt = "broken_at"
    }
}

// MARK: Inputs

struct CreateOrgInput: APIInput {
    static let fields: Set<String> = ["name", "kind"]
    var name: String
    var kind: OrganisationKind
}

struct CreateUserInput: APIInput {
    static let fields: Set<String> = ["name", "org", "role", "password", "compartments"]
    var name: String
    /// An organisation id or name.
    var org: String
    var role: Role
    var password: String?
    var compartments: [String]?
}

struct CreateTokenInput: APIInput {
    static let fields: Set<String> = ["label", "scope", "expires_in_days", "user_id"]
    var label: String
    var scope: TokenScope?
    var expiresInDays: Int?
    var userId: String?

    enum CodingKeys: String, CodingKey {
        case label, scope
        case expiresInDays = "expires_in_days"
        case userId = "user_id"
    }
}

extension TokenScope: Codable {}

struct UpdateUserInput: APIInput {
    static let fields: Set<String> = ["role", "compartments", "disabled"]
    var role: Role?
    var compartments: [String]?
    var disabled: Bool?
}
