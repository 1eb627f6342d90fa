// Who reads what in a TAXII collection. TLP here is the foundation's access rule applied at two
// levels instead of one: a collection's per-organisation grant plays the role of the record label
// for CLEAR…AMBER+STRICT (the grant names the organisations entitled to each level, so an object
// needs no list of organisations of its own), and TLP:RED keeps `AccessRule`'s meaning exactly:
// only the individuals the object names. Administrators read everything, as under `AccessRule`.
// `admits` decides in Swift and `visibleSQL` selects the same rows; the contract tests check both.
import Foundation
import Platform

/// A requester's rights on one collection, computed from the collection's grants.
public struct CollectionAccess: Sendable, Hashable {
    public var canRead: Bool
    public var canWrite: Bool
    /// Highest TLP received below RED; nil when the requester reads nothing.
    public var readLevel: TLPLevel?
    /// Reads every object, RED included (installation administrators).
    public var readsEverything: Bool
    /// The requester's user name, matched against a RED object's recipients.
    public var userName: String

    public static func of(_ reader: Reader, grant: CollectionGrant?) -> CollectionAccess {
        if reader.isAdmin {
            return CollectionAccess(canRead: true, canWrite: reader.mayWrite, readLevel: .red, readsEverything: true,
                                    userName: reader.userName)
        }
        let level = grant?.readLevel
        return CollectionAccess(canRead: level != nil, canWrite: (grant?.canWrite ?? false) && reader.mayWrite,
                                readLevel: level, readsEverything: false, userName: reader.userName)
    }

    /// Whether the collection exists for this requester at all (else it answers as missing).
    public var seesCollection: Bool { canRead || canWrite }

    /// Whether one object version reaches this requester.
    public func admits(tlp: TLPLevel, recipients: [String]) -> Bool {
        if readsEverything { return true }
        guard canRead else { return false }
        if tlp == .red { return recipients.contains(userName) }
        guard let readLevel else { return false }
        return tlp <= readLevel
    }

    /// The SQL condition equivalent to `admits` over `taxii_objects` columns `tlp` and `recipients`.
    public func visibleSQL(alias: String, firstBind: Int) -> (sql: String, binds: [SQLValue]) {
        if readsEverything { return ("1 = 1", []) }
        guard canRead, let readLevel else { return ("1 = 0", []) }
        let t = alias.isEmpty ? "" : alias + "."
        let cap = min(readLevel.rawValue, TLPLevel.amberStrict.rawValue)
        return ("(\(t)tlp <= $\(firstBind) OR (\(t)tlp = 4 AND \(t)recipients LIKE '%,' || $\(firstBind + 1) || ',%'))",
                [.int(Int64(cap)), .text(userName.replacingOccurrences(of: ",", with: ""))])
    }
}

/// One organisation's grant on a collection.
public struct CollectionGrant: Sendable, Hashable {
    public var orgId: String
    /// Highest TLP (clear … amber+strict) its readers receive; nil for write-only.
    public var readLevel: TLPLevel?
    public var canWrite: Bool

    public init(orgId: String, readLevel: TLPLevel?, canWrite: Bool) {
        self.orgId = orgId
        self.readLevel = readLevel.map { min($0, .amberStrict) }
        self.canWrite = canWrite
    }
}
