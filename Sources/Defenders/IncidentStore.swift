// Incident reports in SQL: filing (all checks before any write), reading under IncidentAccess
// with every view recorded, evidence sealed with the installation's SecretBox and its SHA-256
// digest recorded on receipt, statute-tag confirmation by a person, and widening of the audience.
import Foundation
import Platform

public struct IncidentSummary: Sendable, Equatable {
    public var id: String
    public var title: String
    public var startedAt: Date
    public var filedAt: Date
    public var filedBy: String
    public var tlp: TLP
    public var confirmedTags: [String]
}

public struct IncidentFilter: Sendable {
    public var text: String?
    /// Confirmed statute family (`1030`…); nil for any.
    public var tag: StatuteTag?
    public var tlp: TLP?
    public var limit = 25
    public var offset = 0
    public init(text: String? = nil, tag: StatuteTag? = nil, tlp: TLP? = nil, limit: Int = 25, offset: Int = 0) {
        self.text = text; self.tag = tag; self.tlp = tlp; self.limit = limit; self.offset = offset
    }
}

/// What an export needs: the incident, its evidence bytes (opened), and its audit trail.
public struct IncidentExport: Sendable {
    public var incident: Incident
    public var files: [(record: EvidenceRecord, content: [UInt8])]
    public var audit: [AuditEntry]
}

public struct IncidentStore: Sendable {
    public let db: any Database
    public let clock: Clock
    public let secrets: SecretBox
    public var maxEvidenceBytes = IncidentLimits.defaultMaxEvidenceBytes

    public init(db: any Database, clock: Clock, secrets: SecretBox) {
        self.db = db; self.clock = clock; self.secrets = secrets
    }

    static func target(_ id: String) -> String { "incident:\(id)" }

    // MARK: filing

    public func file(_ draft: IncidentDraft, by reader: Reader) async throws -> Incident {
        guard reader.mayWrite else { throw DomainError.forbidden("this credential may only read") }
        let title = try IncidentValidation.text(draft.title, field: "title", required: true)
        let summary = try IncidentValidation.text(draft.summary, field: "summary", required: true)
        let started = try IncidentValidation.time(draft.startedAt, field: "started_at")
        let detected = try IncidentValidation.time(draft.detectedAt, field: "detected_at")
        if detected < started { throw DomainError.invalid(field: "detected_at", reason: "is before started_at") }
        for (i, indicator) in draft.indicators.enumerated() { try IncidentValidation.indicator(indicator, field: "indicators[\(i)]") }
        if draft.evidence.count > IncidentLimits.maxEvidenceFiles {
            throw DomainError.invalid(field: "evidence", reason: "has \(draft.evidence.count) files; at most \(IncidentLimits.maxEvidenceFiles) per filing")
        }
        for (i, e) in draft.evidence.enumerated() { try IncidentValidation.evidence(e, field: "evidence[\(i)]", maxBytes: maxEvidenceBytes) }
        let filedAs: FiledAs = reader.role == .reviewer ? .reviewer : (draft.onBehalfOf?.isEmpty == false ? .defender : .victim)
        let label = AccessLabel(tlp: .red, ownerOrg: reader.orgId, orgs: draft.coordinatorOrgs, users: draft.coordinatorUsers + [reader.userId])
        let body = IncidentBody(
            summary: summary, onBehalfOf: draft.onBehalfOf?.isEmpty == false ? draft.onBehalfOf : nil,
            systemsAffected: draft.systemsAffected, dataAffected: draft.dataAffected, indicators: draft.indicators,
            aiEvidence: draft.aiEvidence, losses: draft.losses, facts: draft.facts)
        let bodyJSON = String(decoding: try JSONEncoder.sorted.encode(body), as: UTF8.self)
        let sealed = try draft.evidence.map { try secrets.seal($0.content) }
        let id = UUID().uuidString.lowercased()
        let now = clock.now()
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO incidents (id, title, started_at, detected_at, filed_at, filed_by, filed_as, body, \(LabelColumns.names)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                [.text(id), .text(title), .int(started.microsecondsSinceEpoch), .int(detected.microsecondsSinceEpoch),
                 .int(now.microsecondsSinceEpoch), .text(reader.userName), .text(filedAs.rawValue), .text(bodyJSON)] + LabelColumns.values(label))
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.file", target: Self.target(id),
                                                 detail: ["filed_as": filedAs.rawValue, "tlp": label.tlp.name]), at: now, on: conn)
            for (i, e) in draft.evidence.enumerated() {
                try await insertEvidence(e, sealed: sealed[i], incidentId: id, reader: reader, at: now, on: conn)
            }
        }
        return try await load(id: id)
    }

    @discardableResult
    private func insertEvidence(_ e: EvidenceUpload, sealed: [UInt8], incidentId: String, reader: Reader, at now: Date, on conn: any SQLConnection) async throws -> String {
        let id = UUID().uuidString.lowercased()
        let digest = Secrets.sha256Hex(e.content)
        let seq = try await conn.scalarInt("SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_evidence WHERE incident_id = $1", [.text(incidentId)])
        try await conn.execute(
            "INSERT INTO incident_evidence (id, incident_id, seq, name, media_type, size, sha256, sealed, received_at, received_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [.text(id), .text(incidentId), .int(seq), .text(e.name), .text(e.mediaType), .int(Int64(e.content.count)),
             .text(digest), .blob(sealed), .int(now.microsecondsSinceEpoch), .text(reader.userName)])
        try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.evidence.add", target: Self.target(incidentId),
                                             detail: ["evidence": id, "name": e.name, "sha256": digest, "size": String(e.content.count)]), at: now, on: conn)
        return id
    }

    /// Adds one evidence file to an incident the reader's organisation filed.
    public func addEvidence(incidentId: String, _ upload: EvidenceUpload, by reader: Reader) async throws -> EvidenceRecord {
        try IncidentValidation.evidence(upload, field: "evidence", maxBytes: maxEvidenceBytes)
        let sealed = try secrets.seal(upload.content)
        let now = clock.now()
        let evidenceId = try await db.write { conn in
            _ = try await labelForWrite(incidentId, reader: reader, on: conn)
            return try await insertEvidence(upload, sealed: sealed, incidentId: incidentId, reader: reader, at: now, on: conn)
        }
        let incident = try await load(id: incidentId)
        guard let record = incident.evidence.first(where: { $0.id == evidenceId }) else { throw DomainError.notFound("evidence") }
        return record
    }

    private func labelForWrite(_ id: String, reader: Reader, on conn: any SQLConnection) async throws -> AccessLabel {
        guard let row = try await conn.first("SELECT \(LabelColumns.names) FROM incidents WHERE id = $1", [.text(id)]) else {
            throw DomainError.notFound("incident \(id)")
        }
        let label = try LabelColumns.decode(row)
        guard IncidentAccess.canRead(reader, label) else { throw DomainError.notFound("incident \(id)") }
        guard IncidentAccess.canWrite(reader, label) else { throw DomainError.forbidden("only the reporting organisation may change this incident") }
        return label
    }

    // MARK: tags and sharing

    /// Records the statute tags a person confirms (replacing earlier ones). Tags are written as
    /// `1030`, `1030(a)(2)`, `1343`, `1028(a)(7)` or `other`; anything else is refused by position.
    public func confirmTags(incidentId: String, tags: [String], note: String = "", by reader: Reader) async throws -> Incident {
        var confirmed: [ConfirmedTag] = []
        for (i, text) in tags.enumerated() {
            guard let parsed = StatuteTag.parse(text) else {
                throw DomainError.invalid(field: "tags[\(i)]", reason: "\"\(text)\" is not a known statute tag; use 1028, 1030, 1343 (optionally with a subsection such as 1030(a)(2)) or other")
            }
            confirmed.append(ConfirmedTag(tag: parsed.tag, provision: parsed.tag == .other ? "other" : parsed.tag.rawValue + parsed.subsection, note: note))
        }
        if confirmed.contains(where: { $0.tag == .other }) && note.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.invalid(field: "note", reason: "is required when tagging other: name the provision")
        }
        let json = String(decoding: try JSONEncoder.sorted.encode(confirmed), as: UTF8.self)
        let list = LabelColumns.encodeList(confirmed.map(\.tag.rawValue))
        let now = clock.now()
        let provisions = confirmed.map(\.provision).joined(separator: " ")
        try await db.write { conn in
            _ = try await labelForWrite(incidentId, reader: reader, on: conn)
            try await conn.execute("UPDATE incidents SET confirmed_tags = $1, tag_list = $2, confirmed_by = $3, confirmed_at = $4 WHERE id = $5",
                                   [.text(json), .text(list), .text(reader.userName), .int(now.microsecondsSinceEpoch), .text(incidentId)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.tags.confirm", target: Self.target(incidentId),
                                                 detail: ["tags": provisions]), at: now, on: conn)
        }
        return try await load(id: incidentId)
    }

    /// Widens (or narrows) who may read the incident. Only the reporting organisation may.
    public func share(incidentId: String, tlp: TLP, orgs: [String], users: [String], by reader: Reader) async throws -> Incident {
        let now = clock.now()
        try await db.write { conn in
            let old = try await labelForWrite(incidentId, reader: reader, on: conn)
            // The reporter's own user stays named so a RED incident never locks its filer out.
            let label = AccessLabel(tlp: tlp, ownerOrg: old.ownerOrg, orgs: orgs, users: users + [reader.userId])
            let v = LabelColumns.values(label)
            try await conn.execute("UPDATE incidents SET tlp = $1, share_orgs = $2, share_users = $3 WHERE id = $4", [v[0], v[2], v[3], .text(incidentId)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.share", target: Self.target(incidentId),
                                                 detail: ["tlp": tlp.name, "orgs": label.orgs.joined(separator: " "), "users": String(label.users.count)]), at: now, on: conn)
        }
        return try await load(id: incidentId)
    }

    // MARK: reading

    /// The incident, if this reader may see it; the view is recorded in the audit log.
    public func incident(id: String, reader: Reader) async throws -> Incident {
        let incident = try await load(id: id)
        guard IncidentAccess.canRead(reader, incident.label) else { throw DomainError.notFound("incident \(id)") }
        try await db.write { conn in
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.view", target: Self.target(id)), at: clock.now(), on: conn)
        }
        return incident
    }

    /// The plain bytes of one evidence file; the download is recorded.
    public func evidenceContent(incidentId: String, evidenceId: String, reader: Reader) async throws -> (EvidenceRecord, [UInt8]) {
        let incident = try await load(id: incidentId)
        guard IncidentAccess.canRead(reader, incident.label), let record = incident.evidence.first(where: { $0.id == evidenceId }) else {
            throw DomainError.notFound("evidence \(evidenceId)")
        }
        let sealed = try await db.write { conn in
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.evidence.view", target: Self.target(incidentId),
                                                 detail: ["evidence": evidenceId]), at: clock.now(), on: conn)
            return try await conn.first("SELECT sealed FROM incident_evidence WHERE id = $1", [.text(evidenceId)])?.bytes("sealed") ?? []
        }
        return (record, try secrets.open(sealed))
    }

    /// Everything a referral package holds; the export itself is recorded first, so it appears in
    /// the package's own audit trail, with the export's digest added by the packager afterwards.
    public func export(id: String, reader: Reader) async throws -> IncidentExport {
        let incident = try await load(id: id)
        guard IncidentAccess.canRead(reader, incident.label) else { throw DomainError.notFound("incident \(id)") }
        let sealed: [[UInt8]] = try await db.write { conn in
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.export", target: Self.target(id),
                                                 detail: ["evidence_files": String(incident.evidence.count)]), at: clock.now(), on: conn)
            return try await conn.query("SELECT sealed FROM incident_evidence WHERE incident_id = $1 ORDER BY seq", [.text(id)]).map { try $0.bytes("sealed") }
        }
        var files: [(record: EvidenceRecord, content: [UInt8])] = []
        for (record, box) in zip(incident.evidence, sealed) {
            let plain = try secrets.open(box)
            guard Secrets.sha256Hex(plain) == record.sha256 else {
                throw StorageError.unexpectedValue(column: "incident_evidence.sealed", expected: "bytes whose SHA-256 is \(record.sha256)")
            }
            files.append((record, plain))
        }
        return IncidentExport(incident: incident, files: files, audit: try await auditTrail(id: id))
    }

    /// The incident's audit entries, oldest first.
    public func auditTrail(id: String) async throws -> [AuditEntry] {
        var all: [AuditEntry] = []
        var before: Int64?
        while true {
            let page = try await AuditLog.list(db, filter: AuditFilter(target: Self.target(id), before: before, limit: 500))
            all += page
            guard page.count == 500, let last = page.last else { break }
            before = last.seq
        }
        return all.reversed()
    }

    /// Incidents this reader may see, newest filed first, with the total for paging.
    public func list(reader: Reader, filter: IncidentFilter = IncidentFilter()) async throws -> (items: [IncidentSummary], total: Int) {
        let visible = IncidentAccess.visibleSQL(reader, alias: "", firstBind: 1)
        var conditions = [visible.sql]
        var binds = visible.binds
        if let text = filter.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            binds.append(.text("%" + text.lowercased() + "%"))
            conditions.append("lower(title) LIKE $\(binds.count)")
        }
        if let tag = filter.tag {
            binds.append(.text("%," + tag.rawValue + ",%"))
            conditions.append("tag_list LIKE $\(binds.count)")
        }
        if let tlp = filter.tlp {
            binds.append(.int(Int64(tlp.rawValue)))
            conditions.append("tlp = $\(binds.count)")
        }
        let whereSQL = conditions.joined(separator: " AND ")
        let countBinds = binds
        binds.append(.int(Int64(max(1, min(filter.limit, 200)))))
        binds.append(.int(Int64(max(0, filter.offset))))
        let sql = "SELECT id, title, started_at, filed_at, filed_by, tlp, tag_list FROM incidents WHERE \(whereSQL) ORDER BY filed_at DESC, id LIMIT $\(binds.count - 1) OFFSET $\(binds.count)"
        let pageBinds = binds
        return try await db.read { conn in
            let total = try await conn.scalarInt("SELECT COUNT(*) FROM incidents WHERE \(whereSQL)", countBinds)
            let items = try await conn.query(sql, pageBinds).map { row in
                IncidentSummary(
                    id: try row.string("id"), title: try row.string("title"),
                    startedAt: Date(microsecondsSinceEpoch: try row.int("started_at")),
                    filedAt: Date(microsecondsSinceEpoch: try row.int("filed_at")), filedBy: try row.string("filed_by"),
                    tlp: TLP(rawValue: Int(try row.int("tlp"))) ?? .red,
                    confirmedTags: LabelColumns.decodeList(try row.string("tag_list")))
            }
            return (items, Int(total))
        }
    }

    /// Reads without an access check or audit entry: callers check and record.
    func load(id: String) async throws -> Incident {
        try await db.read { conn in
            guard let row = try await conn.first("SELECT * FROM incidents WHERE id = $1", [.text(id)]) else {
                throw DomainError.notFound("incident \(id)")
            }
            let body = try JSONDecoder().decode(IncidentBody.self, from: Data(try row.string("body").utf8))
            let tags = try JSONDecoder().decode([ConfirmedTag].self, from: Data(try row.string("confirmed_tags").utf8))
            let evidence = try await conn.query(
                "SELECT id, name, media_type, size, sha256, received_at, received_by FROM incident_evidence WHERE incident_id = $1 ORDER BY seq",
                [.text(id)]
            ).map { r in
                EvidenceRecord(id: try r.string("id"), name: try r.string("name"), mediaType: try r.string("media_type"),
                               size: try r.int("size"), sha256: try r.string("sha256"),
                               receivedAt: Date(microsecondsSinceEpoch: try r.int("received_at")), receivedBy: try r.string("received_by"))
            }
            return Incident(
                id: id, title: try row.string("title"), summary: body.summary,
                startedAt: Date(microsecondsSinceEpoch: try row.int("started_at")),
                detectedAt: Date(microsecondsSinceEpoch: try row.int("detected_at")),
                filedAt: Date(microsecondsSinceEpoch: try row.int("filed_at")), filedBy: try row.string("filed_by"),
                filedAs: FiledAs(rawValue: try row.string("filed_as")) ?? .victim, onBehalfOf: body.onBehalfOf,
                systemsAffected: body.systemsAffected, dataAffected: body.dataAffected, indicators: body.indicators,
                aiEvidence: body.aiEvidence, losses: body.losses, facts: body.facts, confirmedTags: tags,
                confirmedBy: row.optionalString("confirmed_by"), confirmedAt: row.optionalInt("confirmed_at").map(Date.init(microsecondsSinceEpoch:)),
                label: try LabelColumns.decode(row), evidence: evidence)
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, so stored and exported JSON is byte-stable.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}
