// The audit chain on both engines: appends in the same transaction as the change, concurrent
// appends that stay one chain, and verification that names the first edited, removed or
// reordered entry.
import Foundation
import Platform
import Testing
import TestSupport

@Suite("Audit log")
struct AuditLogTests {
    func appendEvents(_ db: any Database, count: Int) async throws {
        for i in 1...count {
            try await db.write { conn in
                try await AuditLog.append(
                    AuditEvent(actor: "user:\(i % 3)", action: "thing.update", target: "thing:\(i)", detail: ["n": String(i)]),
                    at: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)), on: conn)
            }
        }
    }

    @Test("an untouched chain verifies and the head names the last entry", arguments: Engine.available)
    func validChain(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 12)
            let head = try await AuditLog.head(test.db)
            #expect(head.seq == 12)
            #expect(try await AuditLog.verify(test.db, pageSize: 5) == .valid(entries: 12, head: head.hash))
        }
    }

    @Test("editing one entry's field breaks the chain at that entry", arguments: Engine.available)
    func editedField(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 10)
            try await test.db.write { try await $0.execute("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 7") }
            guard case .broken(let seq, _) = try await AuditLog.verify(test.db, pageSize: 4) else {
                Issue.record("an edited chain verified")
                return
            }
            #expect(seq == 7)
        }
    }

    @Test("editing an entry's detail is caught even when its digest is left alone", arguments: Engine.available)
    func editedDetail(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 5)
            try await test.db.write { try await $0.execute("UPDATE audit_log SET detail = '{\"n\":\"999\"}' WHERE seq = 2") }
            #expect(try await { if case .broken(2, _) = try await AuditLog.verify(test.db) { true } else { false } }())
        }
    }

    @Test("removing an entry, or the newest entries, is caught", arguments: Engine.available)
    func removed(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 8)
            try await test.db.write { try await $0.execute("DELETE FROM audit_log WHERE seq = 4") }
            #expect(try await { if case .broken(4, _) = try await AuditLog.verify(test.db) { true } else { false } }())
        }
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 8)
            try await test.db.write { try await $0.execute("DELETE FROM audit_log WHERE seq >= 7") }
            #expect(try await { if case .broken(7, _) = try await AuditLog.verify(test.db) { true } else { false } }())
        }
    }

    @Test("swapping two entries' positions is caught at the first", arguments: Engine.available)
    func reordered(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 6)
            try await test.db.write { conn in
                try await conn.execute("UPDATE audit_log SET seq = -3 WHERE seq = 3")
                try await conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4")
                try await conn.execute("UPDATE audit_log SET seq = 4 WHERE seq = -3")
            }
            #expect(try await { if case .broken(3, _) = try await AuditLog.verify(test.db) { true } else { false } }())
        }
    }

    @Test("concurrent writers append one contiguous, valid chain", arguments: Engine.available)
    func concurrentAppends(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for i in 0..<10 {
                            try await test.db.write { conn in
                                try await AuditLog.append(
                                    AuditEvent(actor: "worker:\(worker)", action: "x", target: "n:\(i)"), at: Date(), on: conn)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            guard case .valid(let entries, _) = try await AuditLog.verify(test.db) else {
                Issue.record("concurrent appends broke the chain")
                return
            }
            #expect(entries == 80)
        }
    }

    @Test("filters select by actor, action, target and time, newest first", arguments: Engine.available)
    func filters(engine: Engine) async throws {
        try await TestDatabases.with(engine) { test in
            try await appendEvents(test.db, count: 9)
            let byActor = try await AuditLog.list(test.db, filter: AuditFilter(actor: "user:1"))
            #expect(byActor.map(\.seq) == [7, 4, 1])
            let page = try await AuditLog.list(test.db, filter: AuditFilter(before: 5, limit: 2))
            #expect(page.map(\.seq) == [4, 3])
            let since = try await AuditLog.list(test.db, filter: AuditFilter(since: Date(timeIntervalSince1970: 1_800_000_008)))
            #expect(since.map(\.seq) == [9, 8])
            #expect(try await AuditLog.list(test.db, filter: AuditFilter(target: "thing:5")).map(\.seq) == [5])
        }
    }
}
