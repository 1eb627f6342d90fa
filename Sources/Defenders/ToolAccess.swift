// The defensive tool access programme (EO 14409 §2): providers list AI defensive offerings with
// eligibility rules; defender organisations keep a profile (sector, size, jurisdiction) and request
// access; providers or coordinators approve, wait-list or decline with a reason. Eligibility is a
// pure function that returns every reason an organisation is not eligible, so a rural hospital
// sees why each offering it cannot have is closed to it. Offerings are programme listings, not
// labelled records: every signed-in user may read them.
import Foundation
import Platform

public struct DefenderProfile: Sendable, Equatable {
    public var orgId: String
    public var sector: String
    public var employees: Int
    /// A state or territory code (`MT`), or `federal`.
    public var jurisdiction: String
    public init(orgId: String, sector: String, employees: Int, jurisdiction: String) {
        self.orgId = orgId; self.sector = sector; self.employees = employees; self.jurisdiction = jurisdiction
    }
    public static let sectors = ["healthcare", "finance", "energy", "water", "government", "education", "communications", "transportation", "other"]
}

public struct ToolOffering: Sendable, Equatable {
    public var id: String
    public var providerOrg: String
    public var name: String
    /// What it does: vulnerability scanning, code review, log triage, phishing analysis…
    public var capability: String
    /// The backing model, as text (a frontier model version where there is one).
    public var modelReference: String
    /// Empty lists mean "any".
    public var orgKinds: [String]
    public var sectors: [String]
    public var jurisdictions: [String]
    public var maxEmployees: Int?
    public var capacity: Int
    public var terms: String
    public init(id: String = "", providerOrg: String = "", name: String, capability: String, modelReference: String = "",
                orgKinds: [String] = [], sectors: [String] = [], jurisdictions: [String] = [], maxEmployees: Int? = nil,
                capacity: Int, terms: String = "") {
        self.id = id; self.providerOrg = providerOrg; self.name = name; self.capability = capability; self.modelReference = modelReference
        self.orgKinds = orgKinds; self.sectors = sectors; self.jurisdictions = jurisdictions; self.maxEmployees = maxEmployees
        self.capacity = capacity; self.terms = terms
    }
}

public enum Eligibility {
    /// Every reason `profile` may not have `offering`; empty means eligible.
    public static func reasons(_ offering: ToolOffering, profile: DefenderProfile?, orgKind: OrganisationKind) -> [String] {
        guard let profile else { return ["your organisation has no defender profile yet (sector, size, jurisdiction)"] }
        var out: [String] = []
        if !offering.orgKinds.isEmpty && !offering.orgKinds.contains(orgKind.rawValue) {
            out.append("open to \(offering.orgKinds.joined(separator: ", ")) organisations; yours is \(orgKind.rawValue)")
        }
        if !offering.sectors.isEmpty && !offering.sectors.contains(profile.sector) {
            out.append("open to the \(offering.sectors.joined(separator: ", ")) sector(s); yours is \(profile.sector)")
        }
        if let max = offering.maxEmployees, profile.employees > max {
            out.append("open to organisations of at most \(max) employees; yours has \(profile.employees)")
        }
        if !offering.jurisdictions.isEmpty && !offering.jurisdictions.contains(profile.jurisdiction) {
            out.append("available in \(offering.jurisdictions.joined(separator: ", ")); you are in \(profile.jurisdiction)")
        }
        return out
    }
}

public enum AccessDecision: String, Sendable, CaseIterable {
    case requested, approved, waitlisted, declined
}

public struct OfferingView: Sendable, Equatable {
    public var offering: ToolOffering
    public var reasons: [String]
    public var approved: Int
    public var ownRequest: AccessDecision?
    public var eligible: Bool { reasons.isEmpty }
}

public struct CoverageRow: Sendable, Equatable {
    public var sector: String
    public var jurisdiction: String
    public var defenders: Int
    /// Defenders eligible for at least one offering.
    public var covered: Int
    public var requests: Int
    public var approved: Int
}

public struct ToolAccessStore: Sendable {
    public let db: any Database
    public let clock: Clock
    public init(db: any Database, clock: Clock) { self.db = db; self.clock = clock }

    public func setProfile(sector: String, employees: Int, jurisdiction: String, by reader: Reader) async throws {
        guard reader.mayWrite else { throw DomainError.forbidden("this credential may only read") }
        guard DefenderProfile.sectors.contains(sector) else {
            throw DomainError.invalid(field: "sector", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")
        }
        guard employees >= 0 else { throw DomainError.invalid(field: "employees", reason: "must be zero or more") }
        let place = jurisdiction.trimmingCharacters(in: .whitespaces)
        guard !place.isEmpty, place.count <= 40 else { throw DomainError.invalid(field: "jurisdiction", reason: "is required (a state code such as MT)") }
        let now = clock.now()
        try await db.write { conn in
            try await conn.execute("DELETE FROM defender_profiles WHERE org_id = $1", [.text(reader.orgId)])
            try await conn.execute("INSERT INTO defender_profiles (org_id, sector, employees, jurisdiction, updated_at) VALUES ($1, $2, $3, $4, $5)",
                                   [.text(reader.orgId), .text(sector), .int(Int64(employees)), .text(place), .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "defender.profile", target: "org:\(reader.orgId)",
                                                 detail: ["sector": sector, "jurisdiction": place]), at: now, on: conn)
        }
    }

    public func profile(orgId: String) async throws -> DefenderProfile? {
        try await db.read { conn in
            try await conn.first("SELECT * FROM defender_profiles WHERE org_id = $1", [.text(orgId)]).map(Self.profile)
        }
    }

    static func profile(_ row: SQLRow) throws -> DefenderProfile {
        DefenderProfile(orgId: try row.string("org_id"), sector: try row.string("sector"), employees: Int(try row.int("employees")),
                        jurisdiction: try row.string("jurisdiction"))
    }

    /// Providers (AI developers, trusted partners) and admins list offerings for their organisation.
    public func createOffering(_ o: ToolOffering, by reader: Reader) async throws -> ToolOffering {
        guard reader.mayWrite, reader.isAdmin || [.aiDeveloper, .trustedPartner].contains(reader.orgKind) else {
            throw DomainError.forbidden("only providers (AI developers, trusted partners) list offerings")
        }
        if o.name.trimmingCharacters(in: .whitespaces).isEmpty { throw DomainError.invalid(field: "name", reason: "is required") }
        if o.capability.trimmingCharacters(in: .whitespaces).isEmpty { throw DomainError.invalid(field: "capability", reason: "is required") }
        if o.capacity < 0 { throw DomainError.invalid(field: "capacity", reason: "must be zero or more") }
        for (i, s) in o.sectors.enumerated() where !DefenderProfile.sectors.contains(s) {
            throw DomainError.invalid(field: "sectors[\(i)]", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")
        }
        for (i, k) in o.orgKinds.enumerated() where OrganisationKind(rawValue: k) == nil {
            throw DomainError.invalid(field: "org_kinds[\(i)]", reason: "is not an organisation kind")
        }
        var stored = o
        stored.id = UUID().uuidString.lowercased()
        stored.providerOrg = reader.orgId
        let now = clock.now(), s = stored
        try await db.write { conn in
            try await conn.execute(
                "INSERT INTO tool_offerings (id, provider_org, name, capability, model_reference, org_kinds, sectors, jurisdictions, max_employees, capacity, terms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                [.text(s.id), .text(s.providerOrg), .text(s.name), .text(s.capability), .text(s.modelReference),
                 .text(LabelColumns.encodeList(s.orgKinds)), .text(LabelColumns.encodeList(s.sectors)), .text(LabelColumns.encodeList(s.jurisdictions)),
                 SQLValue(s.maxEmployees), .int(Int64(s.capacity)), .text(s.terms), .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.offering.create", target: "offering:\(s.id)",
                                                 detail: ["name": s.name]), at: now, on: conn)
        }
        return stored
    }

    static func offering(_ r: SQLRow) throws -> ToolOffering {
        ToolOffering(id: try r.string("id"), providerOrg: try r.string("provider_org"), name: try r.string("name"),
                     capability: try r.string("capability"), modelReference: try r.string("model_reference"),
                     orgKinds: LabelColumns.decodeList(try r.string("org_kinds")), sectors: LabelColumns.decodeList(try r.string("sectors")),
                     jurisdictions: LabelColumns.decodeList(try r.string("jurisdictions")), maxEmployees: r.optionalInt("max_employees").map(Int.init),
                     capacity: Int(try r.int("capacity")), terms: try r.string("terms"))
    }

    /// Every offering with the reasons this reader's organisation is not eligible (none when it is).
    public func offerings(for reader: Reader) async throws -> [OfferingView] {
        let profile = try await profile(orgId: reader.orgId)
        return try await db.read { conn in
            let approved = try await conn.query("SELECT offering_id, COUNT(*) AS n FROM tool_access_requests WHERE state = 'approved' GROUP BY offering_id")
            var counts: [String: Int] = [:]
            for row in approved { counts[try row.string("offering_id")] = Int(try row.int("n")) }
            var mine: [String: AccessDecision] = [:]
            for row in try await conn.query("SELECT offering_id, state FROM tool_access_requests WHERE org_id = $1", [.text(reader.orgId)]) {
                mine[try row.string("offering_id")] = AccessDecision(rawValue: try row.string("state"))
            }
            return try await conn.query("SELECT * FROM tool_offerings ORDER BY name, id").map { row in
                let o = try Self.offering(row)
                return OfferingView(offering: o, reasons: Eligibility.reasons(o, profile: profile, orgKind: reader.orgKind),
                                    approved: counts[o.id] ?? 0, ownRequest: mine[o.id])
            }
        }
    }

    /// A defender asks for an offering it is eligible for.
    public func request(offeringId: String, by reader: Reader) async throws -> String {
        guard let view = try await offerings(for: reader).first(where: { $0.offering.id == offeringId }) else {
            throw DomainError.notFound("offering \(offeringId)")
        }
        guard view.eligible else { throw DomainError.invalid(field: "offering_id", reason: "not eligible: " + view.reasons.joined(separator: "; ")) }
        let id = UUID().uuidString.lowercased(), now = clock.now()
        try await db.write { conn in
            if try await conn.first("SELECT id FROM tool_access_requests WHERE offering_id = $1 AND org_id = $2", [.text(offeringId), .text(reader.orgId)]) != nil {
                throw DomainError.conflict("your organisation has already requested this offering")
            }
            try await conn.execute("INSERT INTO tool_access_requests (id, offering_id, org_id, state, requested_at) VALUES ($1, $2, $3, 'requested', $4)",
                                   [.text(id), .text(offeringId), .text(reader.orgId), .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.request", target: "offering:\(offeringId)",
                                                 detail: ["request": id]), at: now, on: conn)
        }
        return id
    }

    /// The provider's organisation, a reviewer (programme coordinator) or an admin decides.
    /// Approval beyond capacity is refused: wait-list instead.
    public func decide(requestId: String, _ decision: AccessDecision, reason: String, by reader: Reader) async throws {
        guard decision != .requested else { throw DomainError.invalid(field: "decision", reason: "must be approved, waitlisted or declined") }
        if decision != .approved && reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw DomainError.invalid(field: "reason", reason: "is required when wait-listing or declining")
        }
        let now = clock.now()
        try await db.write { conn in
            guard let row = try await conn.first(
                "SELECT r.offering_id, o.provider_org, o.capacity FROM tool_access_requests r JOIN tool_offerings o ON o.id = r.offering_id WHERE r.id = $1",
                [.text(requestId)]) else { throw DomainError.notFound("request \(requestId)") }
            let offeringId = try row.string("offering_id"), provider = try row.string("provider_org")
            guard reader.mayWrite, reader.isAdmin || reader.role == .reviewer || reader.orgId == provider else {
                throw DomainError.forbidden("only the provider or a programme coordinator decides")
            }
            if decision == .approved {
                let used = try await conn.scalarInt("SELECT COUNT(*) FROM tool_access_requests WHERE offering_id = $1 AND state = 'approved' AND id <> $2",
                                                    [.text(offeringId), .text(requestId)])
                if used >= (try row.int("capacity")) {
                    throw DomainError.conflict("the offering is at capacity (\(used) approved); wait-list the request instead")
                }
            }
            try await conn.execute("UPDATE tool_access_requests SET state = $1, reason = $2, decided_at = $3, decided_by = $4 WHERE id = $5",
                                   [.text(decision.rawValue), .text(reason), .int(now.microsecondsSinceEpoch), .text(reader.userName), .text(requestId)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.decide", target: "offering:\(offeringId)",
                                                 detail: ["request": requestId, "decision": decision.rawValue]), at: now, on: conn)
        }
    }

    /// Demand and coverage by sector and jurisdiction, for coordinators: rows with no covered
    /// defender are the gaps (e.g. rural hospitals without any offering).
    public func coverage() async throws -> [CoverageRow] {
        let (profiles, offerings, requests) = try await db.read { conn in
            let p = try await conn.query("SELECT p.*, o.kind FROM defender_profiles p JOIN organisations o ON o.id = p.org_id").map {
                (try Self.profile($0), OrganisationKind(rawValue: try $0.string("kind")) ?? .defender)
            }
            let o = try await conn.query("SELECT * FROM tool_offerings").map(Self.offering)
            let r = try await conn.query("SELECT org_id, state FROM tool_access_requests").map { (try $0.string("org_id"), try $0.string("state")) }
            return (p, o, r)
        }
        var rows: [String: CoverageRow] = [:]
        for (profile, kind) in profiles {
            let key = profile.sector + "|" + profile.jurisdiction
            var row = rows[key] ?? CoverageRow(sector: profile.sector, jurisdiction: profile.jurisdiction, defenders: 0, covered: 0, requests: 0, approved: 0)
            row.defenders += 1
            if offerings.contains(where: { Eligibility.reasons($0, profile: profile, orgKind: kind).isEmpty }) { row.covered += 1 }
            let own = requests.filter { $0.0 == profile.orgId }
            row.requests += own.count
            row.approved += own.filter { $0.1 == "approved" }.count
            rows[key] = row
        }
        return rows.values.sorted { ($0.sector, $0.jurisdiction) < ($1.sector, $1.jurisdiction) }
    }
}
