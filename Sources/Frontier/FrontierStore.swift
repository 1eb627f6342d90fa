// The frontier program's records on the storage seam: models and versions owned by an AI developer,
// their compute ledgers, threshold policy versions loaded at run time, coverage inquiries and the
// designations reviewers record, pre-release access windows with their invitees, and Epoch
// reference models. Every read goes through the access rule; every change is audited in the same
// transaction.
//
// Never a gate (EO 14409 §3(c)): the developer's own actions — release, withdraw a window, end it
// early, extend it within the maximum — depend on nothing a reviewer or administrator records, and
// only the developer's organisation can take them (an installation administrator cannot act in a
// developer's name, so it cannot block or undo them either).
import Foundation
import Platform

public struct FrontierSettings: Sendable, Equatable {
    /// The longest a pre-release access window may last, start to end. EO 14409 §3(b) speaks of up
    /// to 30 days; an installation may set another figure (CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS).
    public var maximumWindowDays: Int

    public init(maximumWindowDays: Int = 30) { self.maximumWindowDays = maximumWindowDays }

    public static let maximumWindowDaysKey = "CLEARINGHOUSE_FRONTIER_MAX_WINDOW_DAYS"

    /// Reads the frontier settings from the environment. An unset setting takes its default; a set
    /// one that does not parse or is out of range is refused, naming the setting, so `serve` stops
    /// at start instead of running with a window length nobody chose.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FrontierSettings {
        guard let raw = environment[maximumWindowDaysKey] else { return FrontierSettings() }
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard let days = Int(text), (1...366).contains(days) else {
            throw ConfigurationError.invalid(key: maximumWindowDaysKey,
                                             reason: "\"\(raw)\" is not a whole number of days from 1 to 366 (default 30 when unset)")
        }
        return FrontierSettings(maximumWindowDays: days)
    }
}

public struct ModelRecord: Sendable, Equatable, Codable {
    public let id: String
    public let name: String
    public let developerOrg: String
    public let createdAt: Date
    public let label: AccessLabel
}

public struct VersionInput: Sendable {
    public var version: String
    public var modalities: [String] = []
    public var architecture: String = "dense"
    public var totalParameters: Double?
    public var activeParameters: Double?
    public var trainingTokens: Double?
    public var trainingHardware: String?
    public var trainingStarted: String?
    public var trainingEnded: String?
    public var plannedRelease: String?
    public var endpointURL: String?
    public var endpointCredential: String?

    public init(version: String) { self.version = version }
}

public struct VersionRecord: Sendable, Equatable {
    public let id: String
    public let modelId: String
    public let modelName: String
    public let version: String
    public let modalities: [String]
    public let architecture: String
    public let totalParameters: Double?
    public let activeParameters: Double?
    public let trainingTokens: Double?
    public let trainingHardware: String?
    public let trainingStarted: String?
    public let trainingEnded: String?
    public let plannedRelease: String?
    public let endpointURL: String?
    public let hasCredential: Bool
    public let releasedAt: Date?
    public let createdAt: Date
    public let label: AccessLabel
    public var developerOrg: String { label.ownerOrg }
}

public struct StoredLedgerItem: Sendable, Equatable {
    public let id: String
    public let position: Int
    public let item: LedgerItem
}

public enum Designation: String, Sendable, Codable, CaseIterable {
    case covered
    case notCovered = "not-covered"
    case deferred
}

public struct DesignationRecord: Sendable, Equatable {
    public let id: String
    public let inquiryId: String
    public let designation: Designation
    public let rationale: String
    public let recordedAt: Date
    public let recordedBy: String
    public let reviewerOrg: String
    public let label: AccessLabel
}

public struct InquiryRecord: Sendable, Equatable {
    public let id: String
    public let versionId: String
    public let question: String
    public let openedAt: Date
    public let openedBy: String
    public let label: AccessLabel
    /// Only the designations this reader may see.
    public let designations: [DesignationRecord]
}

public struct InviteeRecord: Sendable, Equatable {
    public let orgId: String
    public let acceptedAt: Date?
    public let acceptedBy: String?
    public let acceptedTermsVersion: String?
}

public enum WindowStatus: String, Sendable, Codable {
    case scheduled, open, ended, withdrawn
}

public struct WindowRecord: Sendable, Equatable {
    public let id: String
    public let versionId: String
    public let startsAt: Date
    public let endsAt: Date
    public let termsVersion: String
    public let withdrawnAt: Date?
    public let createdAt: Date
    public let label: AccessLabel
    public let invitees: [InviteeRecord]

    public func status(at now: Date) -> WindowStatus {
        if withdrawnAt != nil { return .withdrawn }
        if now < startsAt { return .scheduled }
        if now < endsAt { return .open }
        return .ended
    }
}

public struct ProtectionTerms: Sendable, Equatable {
    public let version: String
    public let body: String
    public let publishedAt: Date
}

public struct StoredPolicyVersion: Sendable, Equatable {
    public let policyId: String
    public let version: String
    public let effectiveDate: String
    public let loadedAt: Date
    public let loadedBy: String
    /// "builtin" for the versions shipped in the binary.
    public let origin: String
}

/// Where an assessment finds a version's capability scores (benchmark results). The frontier module
/// defines the question; the server wires the benchmarks store as the answer, so this module never
/// imports the harness. Return at most one score per suite, only what `reader` may see.
public protocol CapabilityScoreSource: Sendable {
    func capabilityScores(_ reader: Reader, versionId: String) async throws -> [CapabilityScore]
}

public struct FrontierStore: Sendable {
    public let db: any Database
    public let secrets: SecretBox
    public let settings: FrontierSettings
    public let builtinPolicies: PolicySet
    public let catalogue: AcceleratorCatalogue
    /// Benchmark results for the capability criteria (nil: no scores, capability criteria stay indeterminate).
    public let scoreSource: (any CapabilityScoreSource)?

    public init(db: any Database, secrets: SecretBox, settings: FrontierSettings = FrontierSettings(),
                scoreSource: (any CapabilityScoreSource)? = nil) throws {
        self.db = db
        self.secrets = secrets
        self.scoreSource = scoreSource
        self.settings = settings
        self.builtinPolicies = try PolicySet.builtin()
        self.catalogue = try AcceleratorCatalogue.builtin()
    }

    // MARK: - models and versions

    public func createModel(_ reader: Reader, name: String, label: AccessLabel? = nil, at now: Date) async throws -> ModelRecord {
        try requireDeveloper(reader)
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw DomainError.invalid(field: "$.name", reason: "must not be empty") }
        var l = label ?? AccessLabel(tlp: .amber, ownerOrg: reader.orgId)
        l.ownerOrg = reader.orgId
        let record = ModelRecord(id: UUID().uuidString.lowercased(), name: trimmed, developerOrg: reader.orgId, createdAt: now, label: l)
        let labelValues = l
        try await db.write { conn in
            if try await conn.first("SELECT id FROM frontier_models WHERE owner_org = $1 AND name = $2", [.text(reader.orgId), .text(trimmed)]) != nil {
                throw DomainError.conflict("a model named \"\(trimmed)\" already exists in your organisation")
            }
            try await conn.execute(
                "INSERT INTO frontier_models (id, name, created_at, created_by, \(LabelColumns.names)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                [.text(record.id), .text(trimmed), .int(now.microsecondsSinceEpoch), .text(reader.userName)] + LabelColumns.values(labelValues))
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.model.create", target: record.id, detail: ["name": trimmed]), at: now, on: conn)
        }
        return record
    }

    public func models(_ reader: Reader, limit: Int = 50, offset: Int = 0) async throws -> [ModelRecord] {
        let visible = AccessRule.visibleSQL(reader, alias: "m", firstBind: 1)
        return try await db.read { conn in
            try await conn.query(
                "SELECT m.* FROM frontier_models m WHERE \(visible.sql) ORDER BY m.name, m.id LIMIT \(max(1, min(limit, 500))) OFFSET \(max(0, offset))",
                visible.binds
            ).map(Self.model)
        }
    }

    public func model(_ reader: Reader, id: String) async throws -> ModelRecord {
        try Self.model(try await visibleRow(reader, table: "frontier_models", id: id, what: "model").row)
    }

    public func createVersion(_ reader: Reader, modelId: String, input: VersionInput, at now: Date) async throws -> VersionRecord {
        let model = try await model(reader, id: modelId)
        try requireOwnDeveloper(reader, owner: model.developerOrg)
        try Self.validate(input)
        let sealed = try input.endpointCredential.map { Data(try secrets.seal(Array($0.utf8))).base64EncodedString() }
        let id = UUID().uuidString.lowercased()
        let label = model.label
        try await db.write { conn in
            if try await conn.first("SELECT id FROM frontier_versions WHERE model_id = $1 AND version = $2", [.text(modelId), .text(input.version)]) != nil {
                throw DomainError.conflict("version \"\(input.version)\" of this model already exists")
            }
            try await conn.execute("""
                INSERT INTO frontier_versions (id, model_id, version, modalities, architecture, total_parameters, active_parameters,
                    training_tokens, training_hardware, training_started, training_ended, planned_release, endpoint_url,
                    endpoint_credential_sealed, created_at, created_by, \(LabelColumns.names))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
                """,
                [.text(id), .text(modelId), .text(input.version), .text(LabelColumns.encodeList(input.modalities)), .text(input.architecture),
                 Self.double(input.totalParameters), Self.double(input.activeParameters), Self.double(input.trainingTokens),
                 SQLValue(input.trainingHardware), SQLValue(input.trainingStarted), SQLValue(input.trainingEnded), SQLValue(input.plannedRelease),
                 SQLValue(input.endpointURL), SQLValue(sealed), .int(now.microsecondsSinceEpoch), .text(reader.userName)]
                    + LabelColumns.values(label))
            // Never the credential itself: only whether one was given.
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.version.create", target: id,
                                                     detail: ["model": modelId, "version": input.version, "credential": sealed == nil ? "none" : "sealed"]), at: now, on: conn)
        }
        return try await version(reader, id: id)
    }

    public func versions(_ reader: Reader, modelId: String) async throws -> [VersionRecord] {
        _ = try await model(reader, id: modelId)
        let visible = AccessRule.visibleSQL(reader, alias: "v", firstBind: 2)
        return try await db.read { conn in
            try await conn.query(
                "SELECT v.*, m.name AS model_name FROM frontier_versions v JOIN frontier_models m ON m.id = v.model_id WHERE v.model_id = $1 AND \(visible.sql) ORDER BY v.created_at, v.id",
                [.text(modelId)] + visible.binds
            ).map(Self.version)
        }
    }

    public func version(_ reader: Reader, id: String) async throws -> VersionRecord {
        let row = try await db.read { conn in
            try await conn.first("SELECT v.*, m.name AS model_name FROM frontier_versions v JOIN frontier_models m ON m.id = v.model_id WHERE v.id = $1", [.text(id)])
        }
        guard let row, case let v = try Self.version(row), AccessRule.canRead(reader, v.label) else { throw DomainError.notFound("model version") }
        return v
    }

    /// The evaluation endpoint credential, for those entitled to it: members of the developer
    /// organisation, and an invitee organisation's members while one of its windows on this version
    /// is open and after that organisation accepted the protection terms. Anyone else gets nil.
    public func endpointCredential(_ reader: Reader, versionId: String, at now: Date) async throws -> String? {
        let v = try await version(reader, id: versionId)
        let entitled: Bool
        if reader.orgId == v.developerOrg {
            entitled = true
        } else {
            let t = now.microsecondsSinceEpoch
            entitled = try await db.read { conn in
                try await conn.first("""
                    SELECT 1 FROM frontier_windows w JOIN frontier_window_invitees i ON i.window_id = w.id
                    WHERE w.version_id = $1 AND i.org_id = $2 AND i.accepted_at IS NOT NULL AND w.withdrawn_at IS NULL
                      AND w.starts_at <= $3 AND w.ends_at > $3
                    """, [.text(versionId), .text(reader.orgId), .int(t)]) != nil
            }
        }
        guard entitled else { return nil }
        let sealed = try await db.read { conn in
            try await conn.first("SELECT endpoint_credential_sealed FROM frontier_versions WHERE id = $1", [.text(versionId)])?.optionalString("endpoint_credential_sealed")
        }
        guard let sealed, let bytes = Data(base64Encoded: sealed) else { return nil }
        return String(decoding: try secrets.open(Array(bytes)), as: UTF8.self)
    }

    /// The developer releases the version. Idempotent; nothing recorded by anyone else is consulted.
    /// Open and scheduled windows end at the release, since the model is then public.
    public func release(_ reader: Reader, versionId: String, at now: Date) async throws -> VersionRecord {
        let v = try await version(reader, id: versionId)
        try requireOwnDeveloper(reader, owner: v.developerOrg)
        guard v.releasedAt == nil else { return v }
        let t = now.microsecondsSinceEpoch
        try await db.write { conn in
            try await conn.execute("UPDATE frontier_versions SET released_at = $1 WHERE id = $2 AND released_at IS NULL", [.int(t), .text(versionId)])
            try await conn.execute(
                "UPDATE frontier_windows SET ends_at = $1 WHERE version_id = $2 AND withdrawn_at IS NULL AND ends_at > $1 AND starts_at < $1",
                [.int(t), .text(versionId)])
            try await conn.execute(
                "UPDATE frontier_windows SET withdrawn_at = $1 WHERE version_id = $2 AND withdrawn_at IS NULL AND starts_at >= $1",
                [.int(t), .text(versionId)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.version.release", target: versionId), at: now, on: conn)
        }
        return try await version(reader, id: versionId)
    }

    // MARK: - ledger and assessment

    public func addLedgerItem(_ reader: Reader, versionId: String, item: LedgerItem, at now: Date) async throws -> StoredLedgerItem {
        let v = try await version(reader, id: versionId)
        try requireOwnDeveloper(reader, owner: v.developerOrg)
        let id = UUID().uuidString.lowercased()
        let position = try await db.write { conn -> Int in
            let next = Int(try await conn.scalarInt("SELECT COALESCE(MAX(position), -1) + 1 FROM frontier_ledger_items WHERE version_id = $1", [.text(versionId)]))
            let i = item.estimate.interval
            try await conn.execute("""
                INSERT INTO frontier_ledger_items (id, version_id, position, label, category, method, flop_low, flop, flop_high, basis, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """,
                [.text(id), .text(versionId), .int(Int64(next)), .text(item.label), .text(item.category.rawValue), .text(item.estimate.method.rawValue),
                 .double(i.low), .double(i.central), .double(i.high), .text(item.estimate.basis), .int(now.microsecondsSinceEpoch)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.ledger.add", target: versionId,
                                                     detail: ["item": id, "category": item.category.rawValue, "flop": FrontierNumber.scientific(i.central)]), at: now, on: conn)
            return next
        }
        return StoredLedgerItem(id: id, position: position, item: item)
    }

    public func ledger(_ reader: Reader, versionId: String) async throws -> [StoredLedgerItem] {
        _ = try await version(reader, id: versionId)
        return try await db.read { conn in
            try await conn.query("SELECT * FROM frontier_ledger_items WHERE version_id = $1 ORDER BY position", [.text(versionId)]).map { row in
                guard let category = LedgerCategory(rawValue: try row.string("category")),
                      let method = EstimationMethod(rawValue: try row.string("method")) else {
                    throw StorageError.unexpectedValue(column: "category", expected: "a ledger category and method")
                }
                let interval = try ComputeInterval(low: try row.double("flop_low"), central: try row.double("flop"), high: try row.double("flop_high"))
                return StoredLedgerItem(
                    id: try row.string("id"), position: Int(try row.int("position")),
                    item: LedgerItem(label: try row.string("label"), category: category,
                                     estimate: ComputeEstimate(method: method, interval: interval, basis: try row.string("basis"))))
            }
        }
    }

    /// The model description a version's records amount to: its ledger when it has one, else the
    /// architecture estimate from its parameters and tokens, else nothing to assess.
    public func description(_ reader: Reader, versionId: String) async throws -> ModelDescription? {
        let v = try await version(reader, id: versionId)
        let scores = try await scoreSource?.capabilityScores(reader, versionId: versionId) ?? []
        let name = "\(v.modelName) \(v.version)"
        let items = try await ledger(reader, versionId: versionId).map(\.item)
        if !items.isEmpty { return ModelDescription(name: name, ledger: ComputeLedger(items: items), capabilityScores: scores) }
        if let n = v.totalParameters, let d = v.trainingTokens {
            let estimate = try ComputeEstimator.architecture(
                parameters: n, tokens: d, activeParameters: v.architecture == "mixture-of-experts" ? v.activeParameters : nil)
            return ModelDescription(name: name, ledger: ComputeLedger(items: [
                LedgerItem(label: "training run (parameters × tokens)", category: .preTraining, estimate: estimate),
            ]), capabilityScores: scores)
        }
        // No compute figures but benchmark results: capability policies can still be assessed.
        if !scores.isEmpty { return ModelDescription(name: name, ledger: ComputeLedger(items: []), capabilityScores: scores) }
        return nil
    }

    /// Every current policy against what the version's records amount to. A version with benchmark
    /// results but no compute figures is assessed only by the policies without compute criteria
    /// (a compute policy would otherwise read an empty ledger as zero FLOP).
    public func assess(_ reader: Reader, versionId: String, at now: Date) async throws -> [PolicyVerdict] {
        guard let description = try await description(reader, versionId: versionId) else { return [] }
        let policies = try await policySet().currentPolicies(asOf: now)
        return policies
            .filter { !description.ledger.items.isEmpty || !$0.hasComputeCriteria }
            .map { PolicyEvaluator.evaluate(description, against: $0, asOf: now) }
    }

    // MARK: - policies

    /// The shipped policies plus every version administrators loaded, old versions included.
    public func policySet() async throws -> PolicySet {
        var set = builtinPolicies
        let documents = try await db.read { conn in
            try await conn.query("SELECT document FROM frontier_policy_versions ORDER BY loaded_at, policy_id, version").map { try $0.string("document") }
        }
        for document in documents { try set.load(ThresholdPolicy(json: Data(document.utf8))) }
        return set
    }

    /// Loads a new policy version (administrators only). Returns the parsed document; refuses a
    /// different document under an id and version already on record, shipped or loaded.
    public func loadPolicy(_ reader: Reader, document: Data, at now: Date) async throws -> ThresholdPolicy {
        guard reader.isAdmin, reader.mayWrite else { throw DomainError.forbidden("only administrators load policy versions") }
        let policy: ThresholdPolicy
        do { policy = try ThresholdPolicy(json: document) } catch let e as FrontierError { throw Self.domain(e) }
        var set = try await policySet()
        do {
            guard try set.load(policy) else { return policy }
        } catch let e as FrontierError { throw DomainError.conflict(e.description) }
        let text = String(decoding: document, as: UTF8.self)
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO frontier_policy_versions (policy_id, version, effective_date, document, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6)",
                [.text(policy.id), .text(policy.version), .text(policy.effectiveDate), .text(text), .int(now.microsecondsSinceEpoch), .text(reader.userName)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.policy.load", target: "\(policy.id)@\(policy.version)",
                                                     detail: ["effective_date": policy.effectiveDate]), at: now, on: conn)
        }
        return policy
    }

    public func policyVersions() async throws -> [StoredPolicyVersion] {
        let loaded = try await db.read { conn in
            try await conn.query("SELECT policy_id, version, effective_date, loaded_at, loaded_by FROM frontier_policy_versions").map { row in
                StoredPolicyVersion(policyId: try row.string("policy_id"), version: try row.string("version"), effectiveDate: try row.string("effective_date"),
                                    loadedAt: Date(microsecondsSinceEpoch: try row.int("loaded_at")), loadedBy: try row.string("loaded_by"), origin: "loaded")
            }
        }
        let shipped = builtinPolicies.documents.map {
            StoredPolicyVersion(policyId: $0.id, version: $0.version, effectiveDate: $0.effectiveDate, loadedAt: Date(timeIntervalSince1970: 0), loadedBy: "builtin", origin: "builtin")
        }
        return shipped + loaded
    }

    // MARK: - inquiries and designations

    /// The developer asks whether a version is a covered frontier model. The inquiry (and the
    /// version it concerns) is shared with the government organisations named.
    public func openInquiry(_ reader: Reader, versionId: String, question: String, governmentOrgs: [String], at now: Date) async throws -> InquiryRecord {
        let v = try await version(reader, id: versionId)
        try requireOwnDeveloper(reader, owner: v.developerOrg)
        guard !governmentOrgs.isEmpty else { throw DomainError.invalid(field: "$.government_orgs", reason: "name at least one government organisation") }
        try await requireOrgKinds(governmentOrgs, allowed: [.government], field: "$.government_orgs")
        let id = UUID().uuidString.lowercased()
        let label = AccessLabel(tlp: .amber, ownerOrg: reader.orgId, orgs: governmentOrgs)
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO frontier_inquiries (id, version_id, question, opened_at, opened_by, \(LabelColumns.names)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                [.text(id), .text(versionId), .text(question), .int(now.microsecondsSinceEpoch), .text(reader.userName)] + LabelColumns.values(label))
            try await Self.shareVersion(versionId, with: governmentOrgs, conn: conn)
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.inquiry.open", target: id,
                                                     detail: ["version": versionId, "government_orgs": governmentOrgs.sorted().joined(separator: ",")]), at: now, on: conn)
        }
        return try await inquiry(reader, id: id)
    }

    public func inquiry(_ reader: Reader, id: String) async throws -> InquiryRecord {
        let (row, label) = try await visibleRow(reader, table: "frontier_inquiries", id: id, what: "inquiry")
        return try await inquiry(row, label: label, reader: reader)
    }

    public func inquiries(_ reader: Reader, versionId: String) async throws -> [InquiryRecord] {
        let visible = AccessRule.visibleSQL(reader, alias: "q", firstBind: 2)
        let rows = try await db.read { conn in
            try await conn.query("SELECT q.* FROM frontier_inquiries q WHERE q.version_id = $1 AND \(visible.sql) ORDER BY q.opened_at, q.id",
                                 [.text(versionId)] + visible.binds)
        }
        var out: [InquiryRecord] = []
        for row in rows { out.append(try await inquiry(row, label: try LabelColumns.decode(row), reader: reader)) }
        return out
    }

    /// A reviewer (role reviewer or admin in a government organisation the inquiry is shared with)
    /// records a designation. It is a record of the government's view, not a permission: nothing in
    /// this module reads it when the developer acts. The developer organisation always sees it
    /// unless the reviewer labels it more narrowly.
    public func recordDesignation(_ reader: Reader, inquiryId: String, designation: Designation, rationale: String,
                                  label requested: AccessLabel? = nil, at now: Date) async throws -> DesignationRecord {
        let inquiry = try await inquiry(reader, id: inquiryId)
        guard reader.orgKind == .government, reader.role == .reviewer || reader.role == .admin, reader.mayWrite else {
            throw DomainError.forbidden("designations are recorded by reviewers of a government organisation")
        }
        let text = rationale.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DomainError.invalid(field: "$.rationale", reason: "a designation needs a rationale") }
        var label = requested ?? AccessLabel(tlp: .amber, ownerOrg: reader.orgId, orgs: [inquiry.label.ownerOrg])
        label.ownerOrg = reader.orgId
        let id = UUID().uuidString.lowercased()
        let finalLabel = label
        try await db.write { conn in
            try await conn.execute("""
                INSERT INTO frontier_designations (id, inquiry_id, designation, rationale, recorded_at, recorded_by, reviewer_org, \(LabelColumns.names))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """,
                [.text(id), .text(inquiryId), .text(designation.rawValue), .text(text), .int(now.microsecondsSinceEpoch), .text(reader.userName),
                 .text(reader.orgId)] + LabelColumns.values(finalLabel))
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.designation.record", target: inquiryId,
                                                     detail: ["designation": designation.rawValue, "id": id]), at: now, on: conn)
        }
        return DesignationRecord(id: id, inquiryId: inquiryId, designation: designation, rationale: text, recordedAt: now,
                                 recordedBy: reader.userName, reviewerOrg: reader.orgId, label: finalLabel)
    }

    /// The developer's notifications: designations recorded on inquiries its organisation opened
    /// that it may see, newest first, optionally only those after `since`.
    public func designationsForDeveloper(_ reader: Reader, since: Date? = nil, limit: Int = 50) async throws -> [(inquiry: String, version: String, designation: DesignationRecord)] {
        let visible = AccessRule.visibleSQL(reader, alias: "d", firstBind: 3)
        let rows = try await db.read { conn in
            try await conn.query("""
                SELECT d.*, q.version_id FROM frontier_designations d JOIN frontier_inquiries q ON q.id = d.inquiry_id
                WHERE q.owner_org = $1 AND d.recorded_at > $2 AND \(visible.sql)
                ORDER BY d.recorded_at DESC, d.id LIMIT \(max(1, min(limit, 500)))
                """, [.text(reader.orgId), .int(since?.microsecondsSinceEpoch ?? -1)] + visible.binds)
        }
        return try rows.map { row in
            let d = try Self.designation(row)
            return (d.inquiryId, try row.string("version_id"), d)
        }
    }

    // MARK: - protection terms and windows

    /// The terms text of the first version, published on first use when none is on record. An
    /// administrator publishes later versions; each window keeps the version it was opened under.
    public static let defaultTerms = """
        Protection terms for pre-release access (version 1).
        1. Confidentiality: the invitee keeps the model, its outputs and everything learned about it confidential and shares nothing outside the people it names for this window.
        2. Cybersecurity: access runs only from systems the invitee secures to at least its own standard for controlled unclassified information; credentials are never shared or stored in plain text.
        3. Insider risk: only vetted staff with a need to know take part, and the invitee logs who accessed the model and when.
        4. Intellectual property: no right in the model, its weights or outputs passes to the invitee; it does not attempt to extract weights or train on outputs.
        5. Use: access is for evaluating security and capability risks only, and ends when the window ends or the developer withdraws it.
        6. Non-disclosure: findings go to the developer and to the government participants of this window; any wider disclosure needs the developer's written consent, except where law requires it.
        """

    public func publishTerms(_ reader: Reader, version: String, body: String, at now: Date) async throws -> ProtectionTerms {
        guard reader.isAdmin, reader.mayWrite else { throw DomainError.forbidden("only administrators publish protection terms") }
        guard !version.isEmpty else { throw DomainError.invalid(field: "$.version", reason: "must not be empty") }
        guard !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw DomainError.invalid(field: "$.body", reason: "must not be empty") }
        try await db.write { conn in
            if try await conn.first("SELECT version FROM frontier_protection_terms WHERE version = $1", [.text(version)]) != nil {
                throw DomainError.conflict("terms version \(version) is already published; publish a new version")
            }
            try await conn.execute("INSERT INTO frontier_protection_terms (version, body, published_at, published_by) VALUES ($1, $2, $3, $4)",
                                   [.text(version), .text(body), .int(now.microsecondsSinceEpoch), .text(reader.userName)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.terms.publish", target: version), at: now, on: conn)
        }
        return ProtectionTerms(version: version, body: body, publishedAt: now)
    }

    public func currentTerms(at now: Date) async throws -> ProtectionTerms {
        try await db.write { conn in try await Self.currentTerms(conn, now: now) }
    }

    /// Every published version of the terms, newest first. Nothing is ever replaced: a window and
    /// each acceptance keep naming the version they were made under.
    public func termsVersions() async throws -> [ProtectionTerms] {
        try await db.read { conn in
            try await conn.query("SELECT * FROM frontier_protection_terms ORDER BY published_at DESC, version DESC").map(Self.terms)
        }
    }

    public func terms(version: String) async throws -> ProtectionTerms? {
        try await db.read { conn in
            try await conn.first("SELECT * FROM frontier_protection_terms WHERE version = $1", [.text(version)]).map(Self.terms)
        }
    }

    /// Opens a window for `versionId` from `start` to `end`, inviting government and trusted-partner
    /// organisations the developer selects. The window is shared with the invitees.
    public func openWindow(_ reader: Reader, versionId: String, start: Date, end: Date, invitees: [String], at now: Date) async throws -> WindowRecord {
        let v = try await version(reader, id: versionId)
        try requireOwnDeveloper(reader, owner: v.developerOrg)
        guard v.releasedAt == nil else { throw DomainError.conflict("this version is already released") }
        try checkSpan(start: start, end: end, field: "$.ends_at")
        let unique = Array(Set(invitees)).sorted()
        guard !unique.isEmpty else { throw DomainError.invalid(field: "$.invitees", reason: "invite at least one organisation") }
        try await requireOrgKinds(unique, allowed: [.government, .trustedPartner], field: "$.invitees")
        let id = UUID().uuidString.lowercased()
        let label = AccessLabel(tlp: .amber, ownerOrg: reader.orgId, orgs: unique)
        try await db.write { conn in
            let terms = try await Self.currentTerms(conn, now: now)
            try await conn.execute("""
                INSERT INTO frontier_windows (id, version_id, starts_at, ends_at, terms_version, created_at, created_by, \(LabelColumns.names))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """,
                [.text(id), .text(versionId), .int(start.microsecondsSinceEpoch), .int(end.microsecondsSinceEpoch), .text(terms.version),
                 .int(now.microsecondsSinceEpoch), .text(reader.userName)] + LabelColumns.values(label))
            for org in unique {
                try await conn.execute("INSERT INTO frontier_window_invitees (window_id, org_id) VALUES ($1, $2)", [.text(id), .text(org)])
            }
            try await Self.shareVersion(versionId, with: unique, conn: conn)
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.window.open", target: id, detail: [
                "version": versionId, "starts_at": start.iso8601, "ends_at": end.iso8601, "terms": terms.version, "invitees": unique.joined(separator: ","),
            ]), at: now, on: conn)
        }
        return try await window(reader, id: id)
    }

    public func window(_ reader: Reader, id: String) async throws -> WindowRecord {
        let (row, label) = try await visibleRow(reader, table: "frontier_windows", id: id, what: "access window")
        return try await window(row, label: label)
    }

    public func windows(_ reader: Reader, versionId: String) async throws -> [WindowRecord] {
        let visible = AccessRule.visibleSQL(reader, alias: "w", firstBind: 2)
        let rows = try await db.read { conn in
            try await conn.query("SELECT w.* FROM frontier_windows w WHERE w.version_id = $1 AND \(visible.sql) ORDER BY w.starts_at, w.id",
                                 [.text(versionId)] + visible.binds)
        }
        var out: [WindowRecord] = []
        for row in rows { out.append(try await window(row, label: try LabelColumns.decode(row))) }
        return out
    }

    /// An invitee accepts the window's protection terms; the acceptance is recorded in the audit log.
    public func acceptTerms(_ reader: Reader, windowId: String, termsVersion: String, at now: Date) async throws -> WindowRecord {
        let w = try await window(reader, id: windowId)
        guard reader.mayWrite, w.invitees.contains(where: { $0.orgId == reader.orgId }) else {
            throw DomainError.forbidden("only an invited organisation accepts the terms of a window")
        }
        guard termsVersion == w.termsVersion else {
            throw DomainError.invalid(field: "$.terms_version", reason: "this window is under terms version \(w.termsVersion)")
        }
        try await db.write { conn in
            try await conn.execute("""
                UPDATE frontier_window_invitees SET accepted_at = $1, accepted_by = $2, accepted_terms_version = $3
                WHERE window_id = $4 AND org_id = $5 AND accepted_at IS NULL
                """, [.int(now.microsecondsSinceEpoch), .text(reader.userName), .text(termsVersion), .text(windowId), .text(reader.orgId)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.window.accept-terms", target: windowId,
                                                     detail: ["org": reader.orgId, "terms": termsVersion]), at: now, on: conn)
        }
        return try await window(reader, id: windowId)
    }

    /// The developer ends an open window now.
    public func endWindow(_ reader: Reader, windowId: String, at now: Date) async throws -> WindowRecord {
        let w = try await ownWindow(reader, windowId)
        guard w.status(at: now) == .open || w.status(at: now) == .scheduled else { return w }
        let end = max(now, w.startsAt.addingTimeInterval(0.000_001))
        if w.status(at: now) == .scheduled { return try await withdrawWindow(reader, windowId: windowId, at: now) }
        try await db.write { conn in
            try await conn.execute("UPDATE frontier_windows SET ends_at = $1 WHERE id = $2", [.int(end.microsecondsSinceEpoch), .text(windowId)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.window.end", target: windowId, detail: ["ends_at": end.iso8601]), at: now, on: conn)
        }
        return try await window(reader, id: windowId)
    }

    /// The developer moves the end of a window that has not ended, within the maximum span.
    public func extendWindow(_ reader: Reader, windowId: String, to end: Date, at now: Date) async throws -> WindowRecord {
        let w = try await ownWindow(reader, windowId)
        guard w.withdrawnAt == nil, w.endsAt > now else { throw DomainError.conflict("this window has already ended") }
        guard end > w.endsAt else { throw DomainError.invalid(field: "$.ends_at", reason: "an extension moves the end later; end the window to shorten it") }
        try checkSpan(start: w.startsAt, end: end, field: "$.ends_at")
        try await db.write { conn in
            try await conn.execute("UPDATE frontier_windows SET ends_at = $1 WHERE id = $2", [.int(end.microsecondsSinceEpoch), .text(windowId)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.window.extend", target: windowId, detail: ["ends_at": end.iso8601]), at: now, on: conn)
        }
        return try await window(reader, id: windowId)
    }

    /// The developer withdraws the window: access stops at once, whatever its state.
    public func withdrawWindow(_ reader: Reader, windowId: String, at now: Date) async throws -> WindowRecord {
        let w = try await ownWindow(reader, windowId)
        guard w.withdrawnAt == nil else { return w }
        try await db.write { conn in
            try await conn.execute("UPDATE frontier_windows SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL", [.int(now.microsecondsSinceEpoch), .text(windowId)])
            _ = try await AuditLog.append(AuditEvent(actor: reader.userName, action: "frontier.window.withdraw", target: windowId), at: now, on: conn)
        }
        return try await window(reader, id: windowId)
    }

    // MARK: - reference models (Epoch)

    /// Loads reference models; re-importing the same file changes nothing (rows are keyed by name
    /// and updated in place). Returns how many rows were new.
    public func importReferenceModels(_ models: [ReferenceModel], actor: String, at now: Date) async throws -> (added: Int, total: Int) {
        try await db.write { conn in
            let before = try await conn.scalarInt("SELECT COUNT(*) FROM frontier_reference_models")
            for m in models {
                try await conn.execute("""
                    INSERT INTO frontier_reference_models (name, organization, publication_date, domain, parameters, training_tokens, training_compute_flop, confidence, imported_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT (name) DO UPDATE SET organization = excluded.organization, publication_date = excluded.publication_date,
                        domain = excluded.domain, parameters = excluded.parameters, training_tokens = excluded.training_tokens,
                        training_compute_flop = excluded.training_compute_flop, confidence = excluded.confidence
                    """,
                    [.text(m.name), .text(m.organization), SQLValue(m.publicationDate), .text(m.domain), Self.double(m.parameters),
                     Self.double(m.trainingDatasetSize), Self.double(m.trainingComputeFLOP), SQLValue(m.confidence), .int(now.microsecondsSinceEpoch)])
            }
            let after = try await conn.scalarInt("SELECT COUNT(*) FROM frontier_reference_models")
            _ = try await AuditLog.append(AuditEvent(actor: actor, action: "frontier.reference.import", target: "epoch",
                                                     detail: ["rows": String(models.count), "added": String(after - before)]), at: now, on: conn)
            return (Int(after - before), Int(after))
        }
    }

    public struct ReferencePoint: Sendable, Equatable {
        public let name: String
        public let organization: String
        public let publicationDate: String
        public let trainingComputeFLOP: Double
    }

    /// Reference models with a publication date and recorded compute, oldest first. Reference data
    /// is public (CC BY), so every signed-in reader sees it.
    public func referencePoints() async throws -> [ReferencePoint] {
        try await db.read { conn in
            try await conn.query("""
                SELECT name, organization, publication_date, training_compute_flop FROM frontier_reference_models
                WHERE publication_date IS NOT NULL AND training_compute_flop IS NOT NULL ORDER BY publication_date, name
                """).map { row in
                ReferencePoint(name: try row.string("name"), organization: try row.string("organization"),
                               publicationDate: try row.string("publication_date"), trainingComputeFLOP: try row.double("training_compute_flop"))
            }
        }
    }

    // MARK: - helpers

    /// A labelled row by id, or notFound alike whether it is missing or not visible to `reader`.
    private func visibleRow(_ reader: Reader, table: String, id: String, what: String) async throws -> (row: SQLRow, label: AccessLabel) {
        let row = try await db.read { conn in try await conn.first("SELECT * FROM \(table) WHERE id = $1", [.text(id)]) }
        guard let row else { throw DomainError.notFound(what) }
        let label = try LabelColumns.decode(row)
        guard AccessRule.canRead(reader, label) else { throw DomainError.notFound(what) }
        return (row, label)
    }

    private func requireDeveloper(_ reader: Reader) throws {
        guard reader.orgKind == .aiDeveloper, reader.mayWrite else {
            throw DomainError.forbidden("models are registered by members of an AI developer organisation")
        }
    }

    /// Developer actions belong to the developer organisation alone; an administrator of the
    /// installation cannot take them in its name (and so cannot block or undo them).
    private func requireOwnDeveloper(_ reader: Reader, owner: String) throws {
        guard reader.orgId == owner, reader.mayWrite else {
            throw DomainError.forbidden("only the developer organisation that owns this model can do this")
        }
    }

    private func ownWindow(_ reader: Reader, _ id: String) async throws -> WindowRecord {
        let w = try await window(reader, id: id)
        try requireOwnDeveloper(reader, owner: w.label.ownerOrg)
        return w
    }

    private func checkSpan(start: Date, end: Date, field: String) throws {
        guard end > start else { throw DomainError.invalid(field: field, reason: "must be after the start") }
        let maximum = TimeInterval(settings.maximumWindowDays) * 86_400
        guard end.timeIntervalSince(start) <= maximum else {
            throw DomainError.invalid(field: field, reason: "a window lasts at most \(settings.maximumWindowDays) days from its start")
        }
    }

    private func requireOrgKinds(_ ids: [String], allowed: Set<OrganisationKind>, field: String) async throws {
        let directory = Directory(db: db)
        for (i, id) in ids.enumerated() {
            guard let org = try await directory.organisation(id: id) else {
                throw DomainError.invalid(field: "\(field)[\(i)]", reason: "no organisation with id \(id)")
            }
            guard allowed.contains(org.kind) else {
                throw DomainError.invalid(field: "\(field)[\(i)]", reason: "\(org.name) is a \(org.kind.rawValue) organisation; expected \(allowed.map(\.rawValue).sorted().joined(separator: " or "))")
            }
        }
    }

    private static func shareVersion(_ versionId: String, with orgs: [String], conn: any SQLConnection) async throws {
        guard let row = try await conn.first("SELECT model_id, share_orgs FROM frontier_versions WHERE id = $1", [.text(versionId)]) else { return }
        let merged = LabelColumns.encodeList(LabelColumns.decodeList(try row.string("share_orgs")) + orgs)
        try await conn.execute("UPDATE frontier_versions SET share_orgs = $1 WHERE id = $2", [.text(merged), .text(versionId)])
        let modelId = try row.string("model_id")
        if let m = try await conn.first("SELECT share_orgs FROM frontier_models WHERE id = $1", [.text(modelId)]) {
            let mergedModel = LabelColumns.encodeList(LabelColumns.decodeList(try m.string("share_orgs")) + orgs)
            try await conn.execute("UPDATE frontier_models SET share_orgs = $1 WHERE id = $2", [.text(mergedModel), .text(modelId)])
        }
    }

    private static func currentTerms(_ conn: any SQLConnection, now: Date) async throws -> ProtectionTerms {
        if let row = try await conn.first("SELECT * FROM frontier_protection_terms ORDER BY published_at DESC, version DESC LIMIT 1") {
            return try terms(row)
        }
        try await conn.execute("INSERT INTO frontier_protection_terms (version, body, published_at, published_by) VALUES ('1', $1, $2, 'system')",
                               [.text(defaultTerms), .int(now.microsecondsSinceEpoch)])
        _ = try await AuditLog.append(AuditEvent(actor: "system", action: "frontier.terms.publish", target: "1"), at: now, on: conn)
        return ProtectionTerms(version: "1", body: defaultTerms, publishedAt: now)
    }

    private static func terms(_ row: SQLRow) throws -> ProtectionTerms {
        ProtectionTerms(version: try row.string("version"), body: try row.string("body"), publishedAt: Date(microsecondsSinceEpoch: try row.int("published_at")))
    }

    private func inquiry(_ row: SQLRow, label: AccessLabel, reader: Reader) async throws -> InquiryRecord {
        let id = try row.string("id")
        let visible = AccessRule.visibleSQL(reader, alias: "d", firstBind: 2)
        let designations = try await db.read { conn in
            try await conn.query("SELECT d.* FROM frontier_designations d WHERE d.inquiry_id = $1 AND \(visible.sql) ORDER BY d.recorded_at, d.id",
                                 [.text(id)] + visible.binds).map(Self.designation)
        }
        return InquiryRecord(id: id, versionId: try row.string("version_id"), question: try row.string("question"),
                             openedAt: Date(microsecondsSinceEpoch: try row.int("opened_at")), openedBy: try row.string("opened_by"),
                             label: label, designations: designations)
    }

    private func window(_ row: SQLRow, label: AccessLabel) async throws -> WindowRecord {
        let id = try row.string("id")
        let invitees = try await db.read { conn in
            try await conn.query("SELECT * FROM frontier_window_invitees WHERE window_id = $1 ORDER BY org_id", [.text(id)]).map { i in
                InviteeRecord(orgId: try i.string("org_id"), acceptedAt: i.optionalInt("accepted_at").map(Date.init(microsecondsSinceEpoch:)),
                              acceptedBy: i.optionalString("accepted_by"), acceptedTermsVersion: i.optionalString("accepted_terms_version"))
            }
        }
        return WindowRecord(id: id, versionId: try row.string("version_id"), startsAt: Date(microsecondsSinceEpoch: try row.int("starts_at")),
                            endsAt: Date(microsecondsSinceEpoch: try row.int("ends_at")), termsVersion: try row.string("terms_version"),
                            withdrawnAt: row.optionalInt("withdrawn_at").map(Date.init(microsecondsSinceEpoch:)),
                            createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")), label: label, invitees: invitees)
    }

    private static func designation(_ d: SQLRow) throws -> DesignationRecord {
        guard let kind = Designation(rawValue: try d.string("designation")) else {
            throw StorageError.unexpectedValue(column: "designation", expected: "covered, not-covered or deferred")
        }
        return DesignationRecord(id: try d.string("id"), inquiryId: try d.string("inquiry_id"), designation: kind, rationale: try d.string("rationale"),
                                 recordedAt: Date(microsecondsSinceEpoch: try d.int("recorded_at")), recordedBy: try d.string("recorded_by"),
                                 reviewerOrg: try d.string("reviewer_org"), label: try LabelColumns.decode(d))
    }

    private static func model(_ row: SQLRow) throws -> ModelRecord {
        let label = try LabelColumns.decode(row)
        return ModelRecord(id: try row.string("id"), name: try row.string("name"), developerOrg: label.ownerOrg,
                           createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")), label: label)
    }

    private static func version(_ row: SQLRow) throws -> VersionRecord {
        VersionRecord(
            id: try row.string("id"), modelId: try row.string("model_id"), modelName: try row.string("model_name"), version: try row.string("version"),
            modalities: LabelColumns.decodeList(try row.string("modalities")), architecture: try row.string("architecture"),
            totalParameters: optionalDouble(row, "total_parameters"), activeParameters: optionalDouble(row, "active_parameters"),
            trainingTokens: optionalDouble(row, "training_tokens"), trainingHardware: row.optionalString("training_hardware"),
            trainingStarted: row.optionalString("training_started"), trainingEnded: row.optionalString("training_ended"),
            plannedRelease: row.optionalString("planned_release"), endpointURL: row.optionalString("endpoint_url"),
            hasCredential: row.optionalString("endpoint_credential_sealed") != nil,
            releasedAt: row.optionalInt("released_at").map(Date.init(microsecondsSinceEpoch:)),
            createdAt: Date(microsecondsSinceEpoch: try row.int("created_at")), label: try LabelColumns.decode(row))
    }

    static func optionalDouble(_ row: SQLRow, _ name: String) -> Double? {
        if case .null = row[name] { return nil }
        return try? row.double(name)
    }

    static func double(_ value: Double?) -> SQLValue { value.map(SQLValue.double) ?? .null }

    static func validate(_ input: VersionInput) throws {
        guard !input.version.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.invalid(field: "$.version", reason: "must not be empty") }
        guard input.architecture == "dense" || input.architecture == "mixture-of-experts" else {
            throw DomainError.invalid(field: "$.architecture", reason: "use dense or mixture-of-experts")
        }
        for (field, value) in [("total_parameters", input.totalParameters), ("active_parameters", input.activeParameters), ("training_tokens", input.trainingTokens)] {
            if let value, !(value > 0 && value.isFinite) { throw DomainError.invalid(field: "$.\(field)", reason: "must be greater than zero") }
        }
        if let a = input.activeParameters, let t = input.totalParameters, a > t {
            throw DomainError.invalid(field: "$.active_parameters", reason: "cannot exceed total parameters")
        }
        if input.architecture == "mixture-of-experts", input.totalParameters != nil, input.activeParameters == nil {
            throw DomainError.invalid(field: "$.active_parameters", reason: "a mixture-of-experts version states its active parameters")
        }
        for (field, value) in [("training_started", input.trainingStarted), ("training_ended", input.trainingEnded), ("planned_release", input.plannedRelease)] {
            if let value, !ThresholdPolicy.isISODate(value) { throw DomainError.invalid(field: "$.\(field)", reason: "a date written YYYY-MM-DD") }
        }
        if let url = input.endpointURL {
            guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "https" || scheme == "http", u.host != nil else {
                throw DomainError.invalid(field: "$.endpoint_url", reason: "an http or https URL")
            }
        }
    }

    /// Frontier input errors as the domain errors the server maps to problems.
    public static func domain(_ error: FrontierError) -> DomainError {
        DomainError.invalid(field: error.path ?? "$", reason: {
            let d = error.description
            if let p = error.path, d.hasPrefix(p + ": ") { return String(d.dropFirst(p.count + 2)) }
            return d
        }())
    }
}
