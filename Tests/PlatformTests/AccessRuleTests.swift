// The one access rule: TLP 2.0 levels, sharing with organisations and individuals, and need-to-know
// compartments. The SQL form of the rule must select exactly the records the Swift form allows, on
// both engines, or lists and counts would disagree with what a reader can open.
import Foundation
import Platform
import Testing
import TestSupport

@Suite("Access rule")
struct AccessRuleTests {
    static let orgs = ["org-a", "org-b", "org-c"]
    static let users = ["u1", "u2", "u3", "u4"]

    func reader(_ user: String, org: String, role: Role = .member, compartments: Set<String> = []) -> Reader {
        Reader(userId: user, userName: user, orgId: org, orgKind: .defender, role: role, compartments: compartments)
    }

    @Test("TLP levels, sharing and compartments decide reads as documented")
    func documentedCases() {
        let owner = reader("u1", org: "org-a")
        let other = reader("u2", org: "org-b")
        let named = reader("u3", org: "org-c")
        let admin = reader("u4", org: "org-c", role: .admin)
        let green = AccessLabel(tlp: .green, ownerOrg: "org-a")
        #expect(AccessRule.canRead(other, green))
        let amber = AccessLabel(tlp: .amber, ownerOrg: "org-a", orgs: ["org-c"])
        #expect(AccessRule.canRead(owner, amber) && AccessRule.canRead(named, amber) && !AccessRule.canRead(other, amber))
        let red = AccessLabel(tlp: .red, ownerOrg: "org-a", users: ["u3"])
        #expect(AccessRule.canRead(named, red) && !AccessRule.canRead(owner, red) && !AccessRule.canRead(other, red))
        let compartment = AccessLabel(tlp: .green, ownerOrg: "org-a", compartments: ["nsa-x"])
        #expect(!AccessRule.canRead(owner, compartment))
        #expect(AccessRule.canRead(reader("u1", org: "org-a", compartments: ["nsa-x", "y"]), compartment))
        #expect(AccessRule.canRead(admin, red) && AccessRule.canRead(admin, compartment))
        // Writing: the owner's members may, others who can read may not; a read-only token may not.
        #expect(AccessRule.canWrite(owner, green) && !AccessRule.canWrite(other, green))
        var readOnly = owner
        readOnly.scope = "read"
        #expect(!AccessRule.canWrite(readOnly, green))
    }

    /// Every combination of level, sharing and compartments, against readers of every kind.
    static func labels() -> [AccessLabel] {
        var labels: [AccessLabel] = []
        for tlp in TLP.allCases {
            for shareOrgs in [[], ["org-b"], ["org-b", "org-c"]] {
                for shareUsers in [[], ["u2"], ["u1", "u3"]] {
                    for compartments in [[], ["x"], ["x", "y"], ["y%_"]] {
                        labels.append(AccessLabel(tlp: tlp, ownerOrg: "org-a", orgs: shareOrgs, users: shareUsers, compartments: compartments))
                    }
                }
            }
        }
        return labels
    }

    @Test("the SQL form selects exactly what canRead allows", arguments: Engine.available)
    func sqlMatchesSwift(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            let labels = Self.labels()
            try await test.db.write { conn in
                try await conn.execute("CREATE TABLE labelled (id BIGINT PRIMARY KEY, \(LabelColumns.ddl))")
                for (i, label) in labels.enumerated() {
                    try await conn.execute(
                        "INSERT INTO labelled (id, \(LabelColumns.names)) VALUES ($1, $2, $3, $4, $5, $6)",
                        [.int(Int64(i))] + LabelColumns.values(label))
                }
            }
            var readers: [Reader] = []
            for (u, user) in Self.users.enumerated() {
                for org in Self.orgs {
                    for compartments in [Set<String>(), ["x"], ["x", "y"], ["y%_", "x"]] {
                        readers.append(reader(user, org: org, role: u == 3 && org == "org-c" ? .admin : .member, compartments: compartments))
                    }
                }
            }
            for r in readers {
                let (clause, binds) = AccessRule.visibleSQL(r, alias: "l", firstBind: 1)
                let ids = try await test.db.read { conn in
                    try await conn.query("SELECT id FROM labelled l WHERE \(clause) ORDER BY id", binds).map { Int(try $0.int("id")) }
                }
                let expected = labels.indices.filter { AccessRule.canRead(r, labels[$0]) }
                #expect(ids == expected, "reader \(r.userId)@\(r.orgId) \(r.compartments.sorted())")
                // The stored label decodes to what was written.
                let first = try await test.db.read { try await $0.first("SELECT \(LabelColumns.names) FROM labelled WHERE id = 5") }
                #expect(try LabelColumns.decode(try #require(first)) == labels[5])
            }
        }
    }
}
