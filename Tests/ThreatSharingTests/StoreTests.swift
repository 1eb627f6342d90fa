// The TAXII store's contract on both engines: keyset pages that cover the set exactly once and
// count only what the reader may see, TLP per reader (SQL agreeing with the Swift rule),
// versions, idempotent re-posts, and a cursor handed from one Database instance to another.
import Foundation
import Platform
import Testing
import TestSupport
@testable import ThreatSharing

struct StoreFixture {
    let store: ThreatSharingStore
    let collection: TAXIICollection
    let green: Reader
    let amber: Reader
    let alice: Reader
    let writeOnly: Reader
    let admin: Reader
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    static let migrations = Schema.platform + ThreatSharingSchema.migrations

    init(db: any Database) async throws {
        let directory = Directory(db: db)
        let g = try await directory.createOrganisation(name: "Green hospital", kind: .defender, actor: "test")
        let a = try await directory.createOrganisation(name: "Amber bank", kind: .defender, actor: "test")
        let w = try await directory.createOrganisation(name: "Writer lab", kind: .aiDeveloper, actor: "test")
        let ops = try await directory.createOrganisation(name: "Ops", kind: .government, actor: "test")
        store = ThreatSharingStore(db: db)
        collection = try await store.createCollection(
            title: "Indicators", defaultTLP: .amber,
            grants: [CollectionGrant(orgId: g.id, readLevel: .green, canWrite: false),
                     CollectionGrant(orgId: a.id, readLevel: .amber, canWrite: true),
                     CollectionGrant(orgId: w.id, readLevel: nil, canWrite: true)],
            actor: "test", at: now)
        green = Reader(userId: "u-green", userName: "gina", orgId: g.id, orgKind: .defender, role: .member)
        amber = Reader(userId: "u-amber", userName: "amos", orgId: a.id, orgKind: .defender, role: .member)
        alice = Reader(userId: "u-alice", userName: "alice", orgId: g.id, orgKind: .defender, role: .member)
        writeOnly = Reader(userId: "u-w", userName: "wanda", orgId: w.id, orgKind: .aiDeveloper, role: .member)
        admin = Reader(userId: "u-admin", userName: "root", orgId: ops.id, orgKind: .government, role: .admin)
    }

    func access(_ reader: Reader) async throws -> CollectionAccess {
        try #require(try await store.collection(id: collection.id, for: reader)).1
    }
}

func indicator(_ n: Int, tlp: TLPLevel?, recipients: [String]? = nil, modified: String = "2024-01-01T00:00:00.000Z") -> JSONValue {
    var o: JSONValue = [
        "type": "indicator", "spec_version": "2.1", "id": .string("indicator--\(String(format: "%08x", n))-0000-4000-8000-000000000000"),
        "created": "2024-01-01T00:00:00.000Z", "modified": .string(modified), "name": .string("indicator \(n)"),
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
    ]
    if let tlp { o = o.setting("object_marking_refs", [.string(tlp.markingDefinitionId)]) }
    if let recipients { o = o.setting(TLPRecipients.propertyName, .array(recipients.map { .string($0) })) }
    return o
}

/// 0: clear, 1: green, 2: amber, 3: unmarked (→ amber), 4: red for alice.
func mixedObjects(_ count: Int) -> [JSONValue] {
    (0..<count).map { n in
        switch n % 5 {
        case 0: indicator(n, tlp: .clear)
        case 1: indicator(n, tlp: .green)
        case 2: indicator(n, tlp: .amber)
        case 3: indicator(n, tlp: nil)
        default: indicator(n, tlp: .red, recipients: ["alice"])
        }
    }
}

func allPages(_ store: ThreatSharingStore, _ collection: TAXIICollection, _ access: CollectionAccess, limit: Int,
              query: TAXIIQuery? = nil) async throws -> (ids: [String], pageSizes: [Int]) {
    var ids: [String] = []
    var sizes: [Int] = []
    var q = query ?? TAXIIQuery(limit: limit)
    q.limit = limit
    while true {
        let page = try await store.page(collectionId: collection.id, access: access, request: ObjectPageRequest(query: q))
        ids += page.rows.map(\.objectId)
        sizes.append(page.rows.count)
        guard page.more, let next = page.next else { break }
        q.next = next
    }
    return (ids, sizes)
}

@Suite("TAXII store")
struct StoreTests {
    @Test("pages cover what each reader may see exactly once; limit counts only visible objects", arguments: Engine.available)
    func pagination(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let objects = mixedObjects(103)
            // Two requests, so date_added ties and steps are both crossed by pages.
            _ = try await f.store.add(Array(objects[..<60]), to: f.collection, requester: "t", actor: "t", at: f.now)
            _ = try await f.store.add(Array(objects[60...]), to: f.collection, requester: "t", actor: "t",
                                      at: f.now.addingTimeInterval(1))
            let expected: [(Reader, Set<Int>)] = [
                (f.green, [0, 1]), (f.amber, [0, 1, 2, 3]), (f.alice, [0, 1, 4]), (f.admin, [0, 1, 2, 3, 4]),
            ]
            for (reader, kinds) in expected {
                let access = try await f.access(reader)
                let (ids, sizes) = try await allPages(f.store, f.collection, access, limit: 7)
                let want = (0..<103).filter { kinds.contains($0 % 5) }.map { indicator($0, tlp: nil)["id"]!.stringValue! }
                #expect(ids.count == Set(ids).count, "no object twice for \(reader.userName)")
                #expect(Set(ids) == Set(want), "exactly the entitled set for \(reader.userName)")
                #expect(sizes.dropLast().allSatisfy { $0 == 7 }, "no page cut short for \(reader.userName): \(sizes)")
                #expect(try await f.store.count(collectionId: f.collection.id, access: access) == want.count)
            }
            // Write-only: sees the collection, reads nothing.
            let w = try await f.access(f.writeOnly)
            #expect(!w.canRead && w.canWrite)
            #expect(try await allPages(f.store, f.collection, w, limit: 10).ids.isEmpty)
            // An organisation without a grant does not see the collection at all.
            let stranger = Reader(userId: "x", userName: "x", orgId: "no-org", orgKind: .defender, role: .member)
            #expect(try await f.store.collection(id: f.collection.id, for: stranger) == nil)
            #expect(try await f.store.collections(apiRoot: ThreatSharingSchema.defaultAPIRoot, for: stranger).isEmpty)
        }
    }

    @Test("each stored chunk gets its own date_added, later than everything before it, even at one clock reading",
          arguments: Engine.available)
    func dateAddedPerChunk(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let objects = (0..<25).map { indicator($0, tlp: .green) }
            let ids = objects.map { $0["id"]!.stringValue! }
            _ = try await f.store.add(Array(objects[..<23]), to: f.collection, requester: "t", actor: "t", at: f.now, chunkSize: 10)
            // A second request stamped with the same clock reading still lands after the first.
            _ = try await f.store.add(Array(objects[23...]), to: f.collection, requester: "t", actor: "t", at: f.now, chunkSize: 10)
            let access = try await f.access(f.admin)
            let page = try await f.store.page(collectionId: f.collection.id, access: access,
                                              request: ObjectPageRequest(query: TAXIIQuery(limit: 100)))
            let added = page.rows.map(\.dateAdded.microseconds)
            #expect(page.rows.map(\.objectId) == ids, "stored in the order posted")
            #expect(added.first == f.now.microsecondsSinceEpoch)
            #expect(Set(added).count == 4, "chunks of 10, 10 and 3, then one of 2: \(Set(added).sorted())")
            #expect(zip(added, added.dropFirst()).allSatisfy { $0 <= $1 })
            // Polling with added_after at the last date_added seen returns exactly what came later.
            let rest = try await f.store.page(collectionId: f.collection.id, access: access, request: ObjectPageRequest(
                query: TAXIIQuery(addedAfter: page.rows[9].dateAdded, limit: 100)))
            #expect(rest.rows.map(\.objectId) == Array(ids[10...]))
            // Keyset pages of 4 still cover everything exactly once across the chunk boundaries.
            #expect(try await allPages(f.store, f.collection, access, limit: 4).ids == ids)
        }
    }

    @Test("publishing inside the caller's transaction commits with it or not at all", arguments: Engine.available)
    func publishInsideATransaction(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            struct Abandoned: Error {}
            let collection = f.collection, now = f.now
            await #expect(throws: Abandoned.self) {
                try await test.db.write { conn in
                    let status = try await ThreatSharingStore.publish([indicator(1, tlp: .green)], to: collection, actor: "t", at: now, on: conn)
                    #expect(status.successes.count == 1)
                    throw Abandoned()
                }
            }
            let access = try await f.access(f.admin)
            #expect(try await f.store.count(collectionId: collection.id, access: access) == 0, "rolled back with the caller")
            let status = try await test.db.write { conn in
                try await ThreatSharingStore.publish([indicator(2, tlp: .green)], to: collection, actor: "t", at: now, on: conn)
            }
            #expect(status.added == 1 && status.failures.isEmpty)
            #expect(try await f.store.count(collectionId: collection.id, access: access) == 1)
            let stored = try await f.store.status(id: status.id, apiRoot: collection.apiRoot, for: f.admin)
            #expect(stored?.successes.map(\.objectId) == [indicator(2, tlp: nil)["id"]!.stringValue!])
        }
    }

    @Test("SQL visibility agrees with the Swift rule for every reader and level", arguments: Engine.available)
    func ruleAgreement(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let objects = mixedObjects(25) + [indicator(900, tlp: .amberStrict), indicator(901, tlp: .red)]
            _ = try await f.store.add(objects, to: f.collection, requester: "t", actor: "t", at: f.now)
            for reader in [f.green, f.amber, f.alice, f.writeOnly, f.admin] {
                let access = try await f.access(reader)
                let seen = Set(try await allPages(f.store, f.collection, access, limit: 1000).ids)
                for object in objects {
                    let summary = try StixValidator().validate(object).get()
                    let admitted = access.admits(tlp: summary.tlp ?? f.collection.defaultTLP, recipients: summary.recipients ?? [])
                    #expect(seen.contains(summary.id) == admitted, "\(reader.userName) \(summary.id)")
                }
            }
        }
    }

    @Test("versions: last by default, first, all, a timestamp; identical re-posts add nothing; delete", arguments: Engine.available)
    func versions(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let stamps = ["2024-02-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
            for (i, s) in stamps.enumerated() {
                _ = try await f.store.add([indicator(1, tlp: .green, modified: s)], to: f.collection, requester: "t", actor: "t",
                                          at: f.now.addingTimeInterval(Double(i)))
            }
            let again = try await f.store.add([indicator(1, tlp: .green, modified: stamps[0])], to: f.collection, requester: "t",
                                              actor: "t", at: f.now.addingTimeInterval(9))
            #expect(again.successes.count == 1 && again.failures.isEmpty && again.added == 0)
            let access = try await f.access(f.green)
            func versions(_ filter: VersionFilter) async throws -> [String] {
                let page = try await f.store.page(collectionId: f.collection.id, access: access,
                                                  request: ObjectPageRequest(query: TAXIIQuery(limit: 100, version: filter)))
                return page.rows.map { $0.version.format(.millisecond) }
            }
            #expect(try await versions(.default) == [stamps[2]])
            #expect(try await versions(VersionFilter(first: true)) == [stamps[1]])
            #expect(try await versions(VersionFilter(all: true)) == stamps)
            #expect(try await versions(VersionFilter(first: true, last: true)) == [stamps[1], stamps[2]])
            #expect(try await versions(VersionFilter(timestamps: [try StixTimestamp(parsing: stamps[0])])) == [stamps[0]])
            let admin = try await f.access(f.admin)
            let deleted = try await f.store.delete(objectId: "indicator--00000001-0000-4000-8000-000000000000", collection: f.collection,
                                                   access: admin, version: .default, specVersions: [], actor: "t", at: f.now)
            #expect(deleted == 1)
            #expect(try await versions(.default) == [stamps[0]], "the previous version becomes the last")
        }
    }

    @Test("several versions of one object in one body, in any order and repeated, keep first and last right", arguments: Engine.available)
    func versionsInOneBody(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let stamps = ["2024-02-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
            let body = [indicator(7, tlp: .green, modified: stamps[0]), indicator(7, tlp: .green, modified: stamps[1]),
                        indicator(7, tlp: .green, modified: stamps[0]), indicator(8, tlp: .green), indicator(7, tlp: .green, modified: stamps[2])]
            let status = try await f.store.add(body, to: f.collection, requester: "t", actor: "t", at: f.now, chunkSize: 2)
            #expect(status.successes.count == 5 && status.added == 4)
            // A later body with a middle and a newer version moves only the last.
            let later = try await f.store.add(
                [indicator(7, tlp: .green, modified: "2024-01-15T00:00:00.000Z"), indicator(7, tlp: .green, modified: "2024-04-01T00:00:00.000Z")],
                to: f.collection, requester: "t", actor: "t", at: f.now.addingTimeInterval(1))
            #expect(later.added == 2)
            let access = try await f.access(f.green)
            func versions(_ filter: VersionFilter) async throws -> [String] {
                let page = try await f.store.page(collectionId: f.collection.id, access: access,
                                                  request: ObjectPageRequest(query: TAXIIQuery(limit: 100, ids: ["indicator--00000007-0000-4000-8000-000000000000"], version: filter)))
                return page.rows.map { $0.version.format(.millisecond) }
            }
            #expect(try await versions(.default) == ["2024-04-01T00:00:00.000Z"])
            #expect(try await versions(VersionFilter(first: true)) == ["2024-01-01T00:00:00.000Z"])
            #expect(try await versions(VersionFilter(all: true)).count == 5)
        }
    }

    @Test("a bad object fails alone with its reason; the status resource keeps every outcome", arguments: Engine.available)
    func statusResource(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let bad = indicator(2, tlp: .green).setting("created", "yesterday")
            let status = try await f.store.add([indicator(1, tlp: .green), bad], to: f.collection, requester: "user:u-amber",
                                               actor: "user:u-amber", at: f.now)
            #expect(status.successes.map(\.objectId) == ["indicator--00000001-0000-4000-8000-000000000000"])
            #expect(status.failures.first?.message?.contains("$.objects[1].created") == true)
            let read = try #require(try await f.store.status(id: status.id, apiRoot: ThreatSharingSchema.defaultAPIRoot, for: f.amber))
            #expect(read.successes == status.successes && read.failures == status.failures && read.totalCount == 2)
            #expect(try await f.store.status(id: status.id, apiRoot: ThreatSharingSchema.defaultAPIRoot, for: f.green) == nil)
        }
    }

    @Test("a large body keeps every outcome in posting order, each failure with its own path", arguments: Engine.available)
    func largeBodyOrder(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let body = (0..<450).map { n in n % 7 == 3 ? indicator(n, tlp: .green).setting("created", "yesterday") : indicator(n, tlp: .green) }
            let status = try await f.store.add(body, to: f.collection, requester: "t", actor: "t", at: f.now)
            let badPositions = (0..<450).filter { $0 % 7 == 3 }
            #expect(status.successes.map(\.objectId) == (0..<450).filter { $0 % 7 != 3 }.map { indicator($0, tlp: nil)["id"]!.stringValue! })
            #expect(status.failures.map(\.objectId) == badPositions.map { indicator($0, tlp: nil)["id"]!.stringValue! })
            #expect(zip(status.failures, badPositions).allSatisfy { $0.message?.contains("$.objects[\($1)].created") == true })
            #expect(status.added == 450 - badPositions.count)
        }
    }

    @Test("a status written chunk by chunk reads back whole and in order, complete, nothing pending", arguments: Engine.available)
    func statusAcrossChunks(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let body = (1...7).map { n in n % 3 == 0 ? indicator(n, tlp: .green).setting("created", "yesterday") : indicator(n, tlp: .green) }
            let status = try await f.store.add(body, to: f.collection, requester: "user:u-amber", actor: "user:u-amber", at: f.now,
                                               chunkSize: 2)
            #expect(status.successes.count == 5 && status.failures.count == 2 && status.added == 5)
            #expect(status.failures.compactMap(\.message).map { $0.contains("$.objects[2].created") || $0.contains("$.objects[5].created") } == [true, true])
            let read = try #require(try await f.store.status(id: status.id, apiRoot: ThreatSharingSchema.defaultAPIRoot, for: f.amber))
            #expect(read.status == "complete" && read.pendingCount == 0 && read.totalCount == 7)
            #expect(read.successes == status.successes && read.failures == status.failures)
            let again = try await f.store.add(body, to: f.collection, requester: "user:u-amber", actor: "user:u-amber", at: f.now,
                                              chunkSize: 3)
            #expect(again.successes.count == 5 && again.added == 0, "identical re-posts succeed and add nothing")
        }
    }

    @Test("a cursor from one Database instance continues on another over the same store", arguments: Engine.available)
    func cursorAcrossInstances(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            _ = try await f.store.add(mixedObjects(40), to: f.collection, requester: "t", actor: "t", at: f.now)
            let access = try await f.access(f.amber)
            let first = try await f.store.page(collectionId: f.collection.id, access: access,
                                               request: ObjectPageRequest(query: TAXIIQuery(limit: 5)))
            let token = try #require(first.next?.token)
            let other = try await test.openAnother()
            let secondStore = ThreatSharingStore(db: other)
            var q = TAXIIQuery(limit: 1000)
            q.next = try PageCursor(token: token)
            let rest = try await secondStore.page(collectionId: f.collection.id, access: access, request: ObjectPageRequest(query: q))
            try await other.close()
            let all = try await allPages(f.store, f.collection, access, limit: 1000).ids
            #expect(first.rows.map(\.objectId) + rest.rows.map(\.objectId) == all)
        }
    }
}

@Suite("TAXII schema migrations")
struct TAXIIMigrationTests {
    @Test("migration 320 drops the objects' foreign key and keeps every row, seq and the seq high-water mark",
          arguments: Engine.available)
    func objectsLoseTheirForeignKeyAndKeepEverything(engine: Engine) async throws {
        let before = StoreFixture.migrations.filter { $0.version < 320 }
        try await TestDatabases.with(engine, migrations: before) { test in
            let f = try await StoreFixture(db: test.db)
            _ = try await f.store.add((0..<30).map { indicator($0, tlp: .green) }, to: f.collection, requester: "t", actor: "t", at: f.now)
            // The newest object goes: its seq must not be handed out again after the rebuild.
            let admin = try await f.access(f.admin)
            let newest = indicator(29, tlp: .green)["id"]!.stringValue!
            #expect(try await f.store.delete(objectId: newest, collection: f.collection, access: admin, version: VersionFilter(all: true),
                                             specVersions: [], actor: "t", at: f.now) == 1)
            let rows = { () async throws -> [String] in
                try await test.db.read { conn in
                    try await conn.query("SELECT seq, object_id, date_added_us, body FROM taxii_objects ORDER BY seq", [])
                        .map { "\(try $0.int("seq")) \(try $0.string("object_id")) \(try $0.int("date_added_us")) \(try $0.string("body"))" }
                }
            }
            let kept = try await rows()
            let highest = try #require(kept.last.flatMap { Int64($0.split(separator: " ")[0]) })

            #expect(try await Migrator(StoreFixture.migrations).migrate(test.db) == [320])
            #expect(try await rows() == kept)
            let foreignKeys = try await test.db.read { conn in
                engine == .sqlite
                    ? try await conn.query("SELECT \"table\" AS parent FROM pragma_foreign_key_list('taxii_objects')", []).count
                    : try await conn.query("""
                        SELECT conname FROM pg_constraint WHERE conrelid = 'taxii_objects'::regclass AND contype = 'f'
                        """, []).count
            }
            #expect(foreignKeys == 0)

            // Stores and reads as before; the deleted object's seq is not reused.
            _ = try await f.store.add([indicator(100, tlp: .green)], to: f.collection, requester: "t", actor: "t", at: f.now.addingTimeInterval(1))
            let seqs = try await test.db.read { conn in
                try await conn.query("SELECT seq FROM taxii_objects ORDER BY seq", []).map { try $0.int("seq") }
            }
            #expect(seqs.count == 30 && seqs.last! > highest + 1, "seqs \(seqs.suffix(3)), highest kept \(highest)")
            #expect(try await allPages(f.store, f.collection, admin, limit: 7).ids.count == 30)
            // A repeated version is still skipped, not an error that rolls the chunk back.
            let again = try await f.store.add([indicator(100, tlp: .green), indicator(101, tlp: .green)], to: f.collection,
                                              requester: "t", actor: "t", at: f.now.addingTimeInterval(2))
            #expect(again.successes.count == 2 && again.failures.isEmpty)
            #expect(try await allPages(f.store, f.collection, admin, limit: 50).ids.count == 31)
        }
    }
}

extension StoreTests {
    @Test("a bulk add that asks for counts only returns them, and its stored status still lists every success",
          arguments: Engine.available)
    func countsOnlyAdd(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: StoreFixture.migrations) { test in
            let f = try await StoreFixture(db: test.db)
            let objects = (0..<25).map { indicator($0, tlp: .green) } + [["type": "indicator", "id": "not-an-id"]]
            let status = try await f.store.add(count: objects.count, to: f.collection, requester: "user:\(f.admin.userId)", actor: "t",
                                               at: f.now, chunkSize: 10, listSuccesses: false) { range in Array(objects[range]) }
            #expect(status.successes.isEmpty && status.unlistedSuccesses == 25 && status.successCount == 25)
            #expect(status.failures.count == 1 && status.added == 25)
            let stored = try #require(try await f.store.status(id: status.id, apiRoot: ThreatSharingSchema.defaultAPIRoot, for: f.admin))
            #expect(stored.successes.count == 25 && stored.successCount == 25 && stored.failures.count == 1)
            #expect(Set(stored.successes.map(\.objectId)) == Set((0..<25).map { indicator($0, tlp: .green)["id"]!.stringValue! }))
        }
    }
}
