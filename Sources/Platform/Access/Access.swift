// The one access rule. Every read and every write in Clearinghouse is decided here: in Swift by
// `AccessRule.canRead/canWrite`, and in SQL by `AccessRule.visibleSQL`, which must select exactly
// the rows `canRead` allows (the contract tests check both on both engines). A record a reader may
// not see does not exist for that reader: lists, counts, search and "not found" all agree.
import Foundation

/// Traffic Light Protocol 2.0 levels, in increasing order of restriction.
public enum TLP: Int, Sendable, Codable, CaseIterable, Comparable {
    case clear = 0
    case green = 1
    case amber = 2
    case amberStrict = 3
    case red = 4

    public static func < (a: TLP, b: TLP) -> Bool { a.rawValue < b.rawValue }

    /// The label as FIRST writes it: `TLP:AMBER+STRICT`.
    public var label: String {
        switch self {
        case .clear: return "TLP:CLEAR"
        case .green: return "TLP:GREEN"
        case .amber: return "TLP:AMBER"
        case .amberStrict: return "TLP:AMBER+STRICT"
        case .red: return "TLP:RED"
        }
    }

    /// The wire name: `clear`, `green`, `amber`, `amber+strict`, `red`.
    public var name: String {
        switch self {
        case .clear: return "clear"
        case .green: return "green"
        case .amber: return "amber"
        case .amberStrict: return "amber+strict"
        case .red: return "red"
        }
    }

    public init?(name: String) {
        let n = name.lowercased().replacingOccurrences(of: "tlp:", with: "")
        switch n {
        case "clear", "white": self = .clear
        case "green": self = .green
        case "amber": self = .amber
        case "amber+strict", "amber-strict", "amber_strict": self = .amberStrict
        case "red": self = .red
        default: return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = TLP(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown TLP level \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What a record carries so the rule can decide who sees it.
public struct AccessLabel: Sendable, Codable, Equatable {
    public var tlp: TLP
    /// The organisation that owns the record (its members may always read AMBER and below).
    public var ownerOrg: String
    /// Further organisations the record is shared with (AMBER, AMBER+STRICT).
    public var orgs: [String]
    /// Individuals the record is shared with (the only readers of a RED record).
    public var users: [String]
    /// Need-to-know compartments: a reader must hold every one.
    public var compartments: [String]

    public init(tlp: TLP, ownerOrg: String, orgs: [String] = [], users: [String] = [], compartments: [String] = []) {
        self.tlp = tlp
        self.ownerOrg = ownerOrg
        self.orgs = orgs
        self.users = users
        self.compartments = compartments
    }
}

public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, reviewer, member
}

public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    case aiDeveloper = "ai-developer"
    case government
    case trustedPartner = "trusted-partner"
    case maintainer
    case defender
}

/// Who is asking: carried by every authenticated request and every command that acts for someone.
public struct Reader: Sendable, Equatable {
    public var userId: String
    public var userName: String
    public var orgId: String
    public var orgKind: OrganisationKind
    public var role: Role
    public var compartments: Set<String>
    /// The scope of the token used, if it was limited (e.g. `read`).
    public var scope: String?

    public init(userId: String, userName: String, orgId: String, orgKind: OrganisationKind, role: Role,
                compartments: Set<String> = [], scope: String? = nil) {
        self.userId = userId
        self.userName = userName
        self.orgId = orgId
        self.orgKind = orgKind
        self.role = role
        self.compartments = compartments
        self.scope = scope
    }

    public var isAdmin: Bool { role == .admin }
    /// Whether this reader may change things at all (a `read`-scoped token may not).
    public var mayWrite: Bool { scope != "read" }
}

public enum AccessRule {
    public static func canRead(_ reader: Reader, _ label: AccessLabel) -> Bool {
        if reader.isAdmin { return true }
        guard label.compartments.allSatisfy(reader.compartments.contains) else { return false }
        switch label.tlp {
        case .clear, .green:
            return true
        case .amber, .amberStrict:
            return label.ownerOrg == reader.orgId || label.orgs.contains(reader.orgId) || label.users.contains(reader.userId)
        case .red:
            return label.users.contains(reader.userId)
        }
    }

    /// Writing needs reading, a writable credential, and membership of the owning organisation
    /// (or the installation's administrator role).
    public static func canWrite(_ reader: Reader, _ label: AccessLabel) -> Bool {
        guard reader.mayWrite, canRead(reader, label) else { return false }
        return reader.isAdmin || label.ownerOrg == reader.orgId
    }

    /// A SQL condition selecting exactly the rows `canRead` allows, for a table whose label is
    /// stored in the columns `tlp`, `owner_org`, `share_orgs`, `share_users`, `compartments`
    /// (lists as `,a,b,` text; see `LabelColumns`). Placeholders start at `$firstBind`.
    public static func visibleSQL(_ reader: Reader, alias: String, firstBind: Int) -> (sql: String, binds: [SQLValue]) {
        if reader.isAdmin { return ("1 = 1", []) }
        let t = alias.isEmpty ? "" : alias + "."
        let org = "$\(firstBind)", user = "$\(firstBind + 1)"
        // Remove each held compartment from the label's list; what remains must be empty.
        var stripped = "\(t)compartments"
        var binds: [SQLValue] = [.text(reader.orgId), .text(reader.userId)]
        for (i, compartment) in reader.compartments.sorted().enumerated() {
            stripped = "replace(\(stripped), $\(firstBind + 2 + i), ',')"
            binds.append(.text(",\(compartment),"))
        }
        let sql = """
            (\(stripped) = ',' AND (\(t)tlp <= 1 \
            OR (\(t)tlp IN (2, 3) AND (\(t)owner_org = \(org) OR \(t)share_orgs LIKE '%,' || \(org) || ',%' OR \(t)share_users LIKE '%,' || \(user) || ',%')) \
            OR (\(t)tlp = 4 AND \(t)share_users LIKE '%,' || \(user) || ',%')))
            """
        return (sql, binds)
    }
}

/// How an `AccessLabel` is laid out in a table's columns.
public enum LabelColumns {
    /// The column definitions to paste into a CREATE TABLE.
    public static let ddl = """
        tlp BIGINT NOT NULL CHECK (tlp BETWEEN 0 AND 4),
        owner_org TEXT NOT NULL,
        share_orgs TEXT NOT NULL DEFAULT ',',
        share_users TEXT NOT NULL DEFAULT ',',
        compartments TEXT NOT NULL DEFAULT ','
        """
    public static let names = "tlp, owner_org, share_orgs, share_users, compartments"

    public static func values(_ label: AccessLabel) -> [SQLValue] {
        [.int(Int64(label.tlp.rawValue)), .text(label.ownerOrg), .text(encodeList(label.orgs)),
         .text(encodeList(label.users)), .text(encodeList(label.compartments))]
    }

    public static func decode(_ row: SQLRow) throws -> AccessLabel {
        guard let tlp = TLP(rawValue: Int(try row.int("tlp"))) else {
            throw StorageError.unexpectedValue(column: "tlp", expected: "a TLP level 0...4")
        }
        return AccessLabel(
            tlp: tlp, ownerOrg: try row.string("owner_org"), orgs: decodeList(try row.string("share_orgs")),
            users: decodeList(try row.string("share_users")), compartments: decodeList(try row.string("compartments")))
    }

    /// `,a,b,`: sorted, de-duplicated, commas removed from members so the delimiters stay sound.
    public static func encodeList(_ items: [String]) -> String {
        let cleaned = Set(items.map { $0.replacingOccurrences(of: ",", with: "") }.filter { !$0.isEmpty })
        return "," + cleaned.sorted().map { $0 + "," }.joined()
    }

    public static func decodeList(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }
}
