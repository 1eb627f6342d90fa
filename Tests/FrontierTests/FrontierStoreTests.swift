// The frontier store on both engines: models and versions with a sealed endpoint credential,
// ledgers and assessment, policy versions loaded at run time, inquiries and designations,
// pre-release access windows, and the "never a gate" guarantee.
import Foundation
import Frontier
import Platform
import Testing
import TestSupport

extension Engine: CustomTestStringConvertible {}

/// One installation with a developer, a government reviewer, a trusted partner, a stranger and an admin.
struct FrontierWorld {
    let store: FrontierStore
    let developer: Reader
    let reviewer: Reader
    let partner: Reader
    let stranger: Reader
    let admin: Reader
    let governmentOrg: String
    let partnerOrg: String
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    static func make(_ db: any Database, maximumWindowDays: Int = 30) async throws -> FrontierWorld {
        let directory = Directory(db: db)
        func reader(_ org: String, _ kind: OrganisationKind, _ user: String, _ role: Role) async throws -> Reader {
            var found = try await directory.organisation(named: org)
            if found == nil { found = try await directory.createOrganisation(name: org, kind: kind, actor: "test") }
            let o = try #require(found)
            let u = try await directory.createUser(name: user, orgId: o.id, role: role, password: nil, actor: "test")
            return try await directory.reader(for: u)
        }
        let developer = try await reader("Lab", .aiDeveloper, "dev", .member)
        let reviewer = try await reader("CAISI", .government, "rev", .reviewer)
        let partner = try await reader("Red Team Inc", .trustedPartner, "partner", .member)
        let stranger = try await reader("Other Lab", .aiDeveloper, "other", .member)
        let admin = try await reader("Operators", .government, "root", .admin)
        return FrontierWorld(
            store: try FrontierStore(db: db, secrets: .ephemeral(), settings: FrontierSettings(maximumWindowDays: maximumWindowDays)),
            developer: developer, reviewer: reviewer, partner: partner, stranger: stranger, admin: admin,
            governmentOrg: reviewer.orgId, partnerOrg: partner.orgId)
    }

    func version(parameters: Double = 400e9, tokens: Double = 30e12, credential: String? = "sk-secret-123") async throws -> VersionRecord {
        let model = try await store.createModel(developer, name: "Atlas-\(UUID().uuidString.prefix(6))", at: t0)
        var input = VersionInput(version: "1.0")
        input.totalParameters = parameters
        input.trainingTokens = tokens
        input.modalities = ["text", "code"]
        input.trainingHardware = "H100"
        input.plannedRelease = "2026-12-01"
        input.endpointURL = "https://models.lab.example/v1"
        input.endpointCredential = credential
        return try await store.createVersion(developer, modelId: model.id, input: input, at: t0)
    }
}

func days(_ n: Double) -> TimeInterval { n * 86_400 }

@Suite("Frontier store")
struct FrontierStoreTests {
    static let migrations = Schema.platform + FrontierSchema.migrations

    @Test("a version keeps its fields; the credential is sealed at rest and shown only to the developer", arguments: Engine.available)
    func versionsAndCredential(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version()
            #expect(v.modalities == ["code", "text"])
            #expect(v.totalParameters == 400e9 && v.trainingTokens == 30e12 && v.hasCredential)
            #expect(v.plannedRelease == "2026-12-01" && v.endpointURL == "https://models.lab.example/v1")
            let raw = try await test.db.read { try await $0.first("SELECT endpoint_credential_sealed FROM frontier_versions WHERE id = $1", [.text(v.id)]) }
            let stored = try #require(raw?.optionalString("endpoint_credential_sealed"))
            #expect(!stored.contains("sk-secret-123"))
            #expect(try await w.store.endpointCredential(w.developer, versionId: v.id, at: w.t0) == "sk-secret-123")
            // A stranger cannot even see that the version exists.
            await #expect(throws: DomainError.notFound("model version")) { try await w.store.version(w.stranger, id: v.id) }
            #expect(try await w.store.models(w.stranger).isEmpty)
            // No audit entry carries the credential.
            let audit = try await AuditLog.list(test.db, filter: AuditFilter(limit: 100))
            #expect(!audit.contains { $0.detail.contains("sk-secret-123") })
        }
    }

    @Test("bad version input names the field", arguments: Engine.available)
    func badInput(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let model = try await w.store.createModel(w.developer, name: "M", at: w.t0)
            var input = VersionInput(version: "1")
            input.architecture = "mixture-of-experts"
            input.totalParameters = 671e9
            input.activeParameters = 700e9
            await #expect(throws: DomainError.invalid(field: "$.active_parameters", reason: "cannot exceed total parameters")) {
                try await w.store.createVersion(w.developer, modelId: model.id, input: input, at: w.t0)
            }
            await #expect(throws: DomainError.self) { try await w.store.createModel(w.reviewer, name: "Not a lab", at: w.t0) }
        }
    }

    @Test("the ledger is stored with its intervals and assessed under each policy's counting rules", arguments: Engine.available)
    func ledgerAndAssessment(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version()
            let pre = try ComputeEstimator.architecture(parameters: 400e9, tokens: 30e12)
            _ = try await w.store.addLedgerItem(w.developer, versionId: v.id, item: LedgerItem(label: "pre-training", category: .preTraining, estimate: pre), at: w.t0)
            let rl = try ComputeEstimator.declared(flop: 3e25)
            _ = try await w.store.addLedgerItem(w.developer, versionId: v.id, item: LedgerItem(label: "RL", category: .reinforcementLearning, estimate: rl), at: w.t0)
            let evals = try ComputeEstimator.declared(flop: 5e25)
            _ = try await w.store.addLedgerItem(w.developer, versionId: v.id, item: LedgerItem(label: "evals", category: .evaluation, estimate: evals), at: w.t0)
            let ledger = try await w.store.ledger(w.developer, versionId: v.id)
            #expect(ledger.map(\.item.label) == ["pre-training", "RL", "evals"])
            #expect(ledger[0].item.estimate == pre)
            let verdicts = try await w.store.assess(w.developer, versionId: v.id, at: w.t0)
            #expect(verdicts.map(\.policyID) == ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"])
            // 7.2e25 + 3e25 = 1.02e26 central; the evaluation item never counts.
            let sb53 = try #require(verdicts.first { $0.policyID == "ca-sb53" })
            #expect(sb53.countedCompute?.central == 7.2e25 + 3e25)
            #expect(sb53.itemDecisions.first { $0.label == "evals" }?.counts == false)
            #expect(sb53.verdict == .indeterminate)
        }
    }

    @Test("a policy version loaded at run time changes verdicts and the old version stays on record", arguments: Engine.available)
    func policyVersions(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version(parameters: 70e9, tokens: 15e12) // 6.3e24, range 5.67e24–7.9e24
            let before = try await w.store.assess(w.developer, versionId: v.id, at: w.t0)
            #expect(before.first { $0.policyID == "eu-ai-act" }?.verdict == .doesNotExceed)
            let set = try await w.store.policySet()
            let v1 = try #require(set.versions(of: "eu-ai-act").first)
            let document = try Self.euPolicy(version: "2", threshold: "1e24")
            await #expect(throws: DomainError.self) { try await w.store.loadPolicy(w.developer, document: document, at: w.t0) }
            let loaded = try await w.store.loadPolicy(w.admin, document: document, at: w.t0)
            #expect(loaded.version == "2")
            let after = try await w.store.assess(w.developer, versionId: v.id, at: w.t0)
            #expect(after.first { $0.policyID == "eu-ai-act" }?.verdict == .exceeds)
            #expect(after.first { $0.policyID == "eu-ai-act" }?.policyVersion == "2")
            let versions = try await w.store.policySet().versions(of: "eu-ai-act")
            #expect(versions.map(\.version) == [v1.version, "2"])
            // The same id and version with other content is refused; the identical document is a no-op.
            await #expect(throws: DomainError.self) { try await w.store.loadPolicy(w.admin, document: try Self.euPolicy(version: "2", threshold: "1e23"), at: w.t0) }
            _ = try await w.store.loadPolicy(w.admin, document: document, at: w.t0)
            #expect(try await w.store.policyVersions().filter { $0.policyId == "eu-ai-act" }.count == 2)
        }
    }

    /// The shipped EU policy with a different version, effective date and threshold.
    static func euPolicy(version: String, threshold: String) throws -> Data {
        let set = try PolicySet.builtin()
        _ = set
        let text = try #require(String(data: FrontierPolicyDocuments.builtin(id: "eu-ai-act"), encoding: .utf8))
        let replaced = text
            .replacingOccurrences(of: "\"version\": \"1\"", with: "\"version\": \"\(version)\"")
            .replacingOccurrences(of: "\"effective_date\": \"2025-08-02\"", with: "\"effective_date\": \"2026-01-02\"")
            .replacingOccurrences(of: "\"threshold\": 1e+25", with: "\"threshold\": \(threshold)")
        return Data(replaced.utf8)
    }

    @Test("reviewers record designations; the developer sees them; others cannot record", arguments: Engine.available)
    func inquiries(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version()
            let q = try await w.store.openInquiry(w.developer, versionId: v.id, question: "Is Atlas covered?", governmentOrgs: [w.governmentOrg], at: w.t0)
            // Opening the inquiry shares the version with the government organisation.
            #expect(try await w.store.version(w.reviewer, id: v.id).id == v.id)
            await #expect(throws: DomainError.self) {
                try await w.store.recordDesignation(w.developer, inquiryId: q.id, designation: .notCovered, rationale: "self", at: w.t0)
            }
            await #expect(throws: DomainError.notFound("inquiry")) {
                try await w.store.recordDesignation(w.stranger, inquiryId: q.id, designation: .covered, rationale: "x", at: w.t0)
            }
            _ = try await w.store.recordDesignation(w.reviewer, inquiryId: q.id, designation: .covered, rationale: "cyber scores above the line", at: w.t0)
            let seen = try await w.store.inquiries(w.developer, versionId: v.id)
            #expect(seen.first?.designations.map(\.designation) == [.covered])
            // A designation labelled RED for the reviewer alone is invisible to the developer.
            _ = try await w.store.recordDesignation(w.reviewer, inquiryId: q.id, designation: .deferred, rationale: "internal note",
                                                    label: AccessLabel(tlp: .red, ownerOrg: w.governmentOrg, users: [w.reviewer.userId]), at: w.t0)
            #expect(try await w.store.inquiry(w.developer, id: q.id).designations.count == 1)
            // The developer is notified of what it may see, and of nothing on others' inquiries.
            let inbox = try await w.store.designationsForDeveloper(w.developer)
            #expect(inbox.map(\.designation.designation) == [.covered] && inbox.first?.version == v.id)
            #expect(try await w.store.designationsForDeveloper(w.developer, since: w.t0).isEmpty)
            #expect(try await w.store.designationsForDeveloper(w.stranger).isEmpty)
            #expect(try await w.store.inquiry(w.reviewer, id: q.id).designations.count == 2)
            await #expect(throws: DomainError.self) {
                try await w.store.openInquiry(w.developer, versionId: v.id, question: "?", governmentOrgs: [w.partnerOrg], at: w.t0)
            }
        }
    }

    @Test("an invitee sees the credential only while the window is open and after it accepted the terms", arguments: Engine.available)
    func windows(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version()
            let start = w.t0.addingTimeInterval(days(1))
            let window = try await w.store.openWindow(w.developer, versionId: v.id, start: start, end: start.addingTimeInterval(days(30)),
                                                      invitees: [w.partnerOrg, w.governmentOrg], at: w.t0)
            #expect(window.termsVersion == "1" && window.status(at: w.t0) == .scheduled)
            #expect(try await w.store.endpointCredential(w.partner, versionId: v.id, at: w.t0) == nil)
            _ = try await w.store.acceptTerms(w.partner, windowId: window.id, termsVersion: "1", at: w.t0)
            #expect(try await w.store.endpointCredential(w.partner, versionId: v.id, at: w.t0) == nil, "not open yet")
            let during = start.addingTimeInterval(days(2))
            #expect(try await w.store.endpointCredential(w.partner, versionId: v.id, at: during) == "sk-secret-123")
            #expect(try await w.store.endpointCredential(w.reviewer, versionId: v.id, at: during) == nil, "government has not accepted")
            #expect(try await w.store.endpointCredential(w.partner, versionId: v.id, at: start.addingTimeInterval(days(31))) == nil, "closed")
            await #expect(throws: DomainError.notFound("model version")) { try await w.store.endpointCredential(w.stranger, versionId: v.id, at: during) }
            let audit = try await AuditLog.list(test.db, filter: AuditFilter(action: "frontier.window.accept-terms", limit: 10))
            #expect(audit.count == 1 && audit[0].actor == "partner")
            // The maximum is a setting: 31 days is refused, at open and at extension.
            await #expect(throws: DomainError.self) {
                try await w.store.openWindow(w.developer, versionId: v.id, start: start, end: start.addingTimeInterval(days(31)), invitees: [w.partnerOrg], at: w.t0)
            }
            await #expect(throws: DomainError.self) {
                try await w.store.extendWindow(w.developer, windowId: window.id, to: start.addingTimeInterval(days(30.5)), at: during)
            }
            // Withdrawal stops access at once.
            _ = try await w.store.withdrawWindow(w.developer, windowId: window.id, at: during)
            #expect(try await w.store.endpointCredential(w.partner, versionId: v.id, at: during) == nil)
            // Only invited organisations of the right kinds.
            await #expect(throws: DomainError.self) {
                try await w.store.openWindow(w.developer, versionId: v.id, start: start, end: start.addingTimeInterval(days(5)), invitees: [w.stranger.orgId], at: w.t0)
            }
        }
    }

    @Test("the maximum window length is a setting", arguments: Engine.available)
    func maximumIsASetting(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db, maximumWindowDays: 45)
            let v = try await w.version()
            let window = try await w.store.openWindow(w.developer, versionId: v.id, start: w.t0, end: w.t0.addingTimeInterval(days(40)), invitees: [w.partnerOrg], at: w.t0)
            #expect(window.endsAt == w.t0.addingTimeInterval(days(40)))
        }
    }

    @Test("never a gate: nothing a reviewer or administrator does blocks, delays or undoes the developer's actions", arguments: Engine.available)
    func neverAGate(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let v = try await w.version()
            let q = try await w.store.openInquiry(w.developer, versionId: v.id, question: "covered?", governmentOrgs: [w.governmentOrg, w.admin.orgId], at: w.t0)
            let window = try await w.store.openWindow(w.developer, versionId: v.id, start: w.t0, end: w.t0.addingTimeInterval(days(30)),
                                                      invitees: [w.governmentOrg, w.partnerOrg], at: w.t0)
            let second = try await w.store.openWindow(w.developer, versionId: v.id, start: w.t0, end: w.t0.addingTimeInterval(days(30)),
                                                      invitees: [w.partnerOrg], at: w.t0)
            // Everything reviewers and administrators can record, recorded against the developer.
            for designation in Designation.allCases {
                _ = try await w.store.recordDesignation(w.reviewer, inquiryId: q.id, designation: designation, rationale: "r", at: w.t0)
                _ = try await w.store.recordDesignation(w.admin, inquiryId: q.id, designation: designation, rationale: "r", at: w.t0)
            }
            _ = try await w.store.acceptTerms(w.reviewer, windowId: window.id, termsVersion: "1", at: w.t0)
            _ = try await w.store.publishTerms(w.admin, version: "2", body: "stricter terms", at: w.t0)
            _ = try await w.store.loadPolicy(w.admin, document: try Self.euPolicy(version: "9", threshold: "1e20"), at: w.t0)
            // Neither may take the developer's actions in its place, in either direction.
            for other in [w.reviewer, w.admin] {
                await #expect(throws: DomainError.self) { try await w.store.extendWindow(other, windowId: window.id, to: w.t0.addingTimeInterval(days(29.5)), at: w.t0) }
                await #expect(throws: DomainError.self) { try await w.store.withdrawWindow(other, windowId: window.id, at: w.t0) }
                await #expect(throws: DomainError.self) { try await w.store.endWindow(other, windowId: window.id, at: w.t0) }
                await #expect(throws: DomainError.self) { try await w.store.release(other, versionId: v.id, at: w.t0) }
            }
            // The developer acts at once, whatever was recorded.
            let later = w.t0.addingTimeInterval(days(3))
            let ended = try await w.store.endWindow(w.developer, windowId: window.id, at: later)
            #expect(ended.endsAt == later && ended.status(at: later) == .ended)
            let withdrawn = try await w.store.withdrawWindow(w.developer, windowId: second.id, at: later)
            #expect(withdrawn.status(at: later) == .withdrawn)
            let released = try await w.store.release(w.developer, versionId: v.id, at: later)
            #expect(released.releasedAt == later)
            // And nothing afterwards undoes it.
            _ = try await w.store.recordDesignation(w.reviewer, inquiryId: q.id, designation: .covered, rationale: "after release", at: later)
            #expect(try await w.store.version(w.admin, id: v.id).releasedAt == later)
            #expect(try await w.store.window(w.admin, id: window.id).endsAt == later)
            #expect(try await w.store.window(w.admin, id: second.id).withdrawnAt == later)
            // The schema has no approval state to set.
            let columns = try await test.db.read { conn in
                try await conn.query("SELECT * FROM frontier_versions WHERE id = $1", [.text(v.id)]).first?.columns ?? []
            }
            #expect(!columns.contains { $0.contains("approv") || $0.contains("denied") || $0.contains("clearance") })
        }
    }

    @Test("importing reference models twice changes nothing", arguments: Engine.available)
    func referenceImport(engine: Engine) async throws {
        try await TestDatabases.with(engine, migrations: Self.migrations) { test in
            let w = try await FrontierWorld.make(test.db)
            let csv = """
                Model,Organization,Publication date,Domain,Parameters,Training dataset size (total),Training compute (FLOP),Confidence
                Big One,Lab,2025-02-01,Language,1e12,2e13,3e26,Confident
                "Small, Two",Lab2,2020-05-01,Vision,,,1e22,Likely
                """
            let models = try EpochImport.parse(csv: csv)
            #expect(try await w.store.importReferenceModels(models, actor: "test", at: w.t0) == (added: 2, total: 2))
            #expect(try await w.store.importReferenceModels(models, actor: "test", at: w.t0) == (added: 0, total: 2))
            let points = try await w.store.referencePoints()
            #expect(points.map(\.name) == ["Small, Two", "Big One"])
            #expect(points.last?.trainingComputeFLOP == 3e26)
        }
    }
}

@Suite("Frontier settings")
struct FrontierSettingsTests {
    @Test("an unset maximum window length is 30 days; a set one is read")
    func defaults() throws {
        #expect(try FrontierSettings.fromEnvironment([:]).maximumWindowDays == 30)
        #expect(try FrontierSettings.fromEnvironment(["CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS": "45"]).maximumWindowDays == 45)
    }

    @Test("a bad maximum window length is refused, naming the setting", arguments: ["thirty", "0", "-3", "30d", "", "400", "2.5"])
    func refused(value: String) {
        do {
            _ = try FrontierSettings.fromEnvironment(["CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS": value])
            Issue.record("\(value) was accepted")
        } catch {
            #expect("\(error)".contains("CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS"))
            #expect("\(error)".contains("\"\(value)\""))
        }
    }
}
