// Storage and rules of the defensive tool access programme on both engines. Who may do what:
// - providers (AI-developer, trusted-partner and maintainer/vendor organisations) list, edit and
//   retire their own offerings, and decide requests to them;
// - programme coordinators (admins, and reviewers of government organisations) see every request
//   and grant and decide any of them;
// - a defender organisation keeps its profile, requests offerings it is eligible for, sees its own
//   requests and grants, ends its grants early and reports usage.
// A request or grant the reader may not see answers exactly like a missing one. Every change is
// an audit-log entry in the same transaction. A freed place is offered to the wait-list by a
// person (`offerNextPlace`), not automatically: a grant needs dates someone has agreed.
import Foundation
import Frontier
import Platform

public struct ToolAccessStore: Sendable {
    public let db: any Database
    public let clock: Clock
    public init(db: any Database, clock: Clock) { self.db = db; self.clock = clock }

    public static let providerKinds: Set<OrganisationKind> = [.aiDeveloper, .trustedPartner, .maintainer]

    /// Programme coordinators: admins, and reviewers of government organisations.
    public static func isCoordinator(_ reader: Reader) -> Bool {
        reader.isAdmin || (reader.role == .reviewer && reader.orgKind == .government)
    }

    // MARK: - profiles

    public func setProfile(sector: String, employees: Int, jurisdiction: String, by reader: Reader) async throws {
        guard reader.mayWrite else { throw DomainError.forbidden("this credential may only read") }
        guard DefenderProfile.sectors.contains(sector) else {
            throw DomainError.invalid(field: "sector", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")
        }
        guard employees >= 0 else { throw DomainError.invalid(field: "employees", reason: "must be zero or more") }
        let place = jurisdiction.trimmingCharacters(in: .whitespaces)
        guard !place.isEmpty, place.count <= 80 else {
            throw DomainError.invalid(field: "jurisdiction", reason: "is required (a state code such as MT, or state/locality such as MT/Glacier County)")
        }
        let now = clock.now()
        try await db.write { conn in
            try await conn.execute("DELETE FROM defender_profiles WHERE org_id = $1", [.text(reader.orgId)])
            try await conn.execute("INSERT INTO defender_profiles (org_id, sector, employees, jurisdiction, updated_at) VALUES ($1, $2, $3, $4, $5)",
                                   [.text(reader.orgId), .text(sector), .int(Int64(employees)), .text(place), .int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "defender.profile", target: "org:\(reader.orgId)",
                                                 detail: ["sector": sector, "jurisdiction": place, "employees": String(employees)]), at: now, on: conn)
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

    // MARK: - offerings

    /// Providers and admins list offerings for their organisation.
    public func createOffering(_ o: ToolOffering, by reader: Reader) async throws -> ToolOffering {
        guard reader.mayWrite, reader.isAdmin || Self.providerKinds.contains(reader.orgKind) else {
            throw DomainError.forbidden("only providers (AI developers, trusted partners, vendors) list offerings")
        }
        var stored = try await validated(o, by: reader)
        stored.id = UUID().uuidString.lowercased()
        stored.providerOrg = reader.orgId
        stored.retiredAt = nil
        stored.retireReason = ""
        let now = clock.now(), s = stored
        try await db.write { conn in
            try await conn.execute(
                """
                INSERT INTO tool_offerings (id, provider_org, name, capability, capabilities, model_version_id, model_reference, org_kinds, sectors,
                    jurisdictions, min_employees, max_employees, capacity, terms, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
                """,
                [.text(s.id), .text(s.providerOrg)] + Self.editable(s) + [.int(now.microsecondsSinceEpoch)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.offering.create", target: "offering:\(s.id)",
                                                 detail: ["name": s.name, "capacity": String(s.capacity)]), at: now, on: conn)
        }
        return stored
    }

    /// The provider's organisation (or an admin) changes what an offering is, whom it is for and
    /// its capacity. Grants already made stay; a lower capacity only stops new approvals.
    public func updateOffering(id: String, _ o: ToolOffering, by reader: Reader) async throws -> ToolOffering {
        let current = try await offering(id: id)
        try Self.requireProvider(reader, of: current)
        guard !current.retired else { throw DomainError.conflict("the offering was retired; list a new one instead") }
        var stored = try await validated(o, by: reader)
        stored.id = id
        stored.providerOrg = current.providerOrg
        let now = clock.now(), s = stored
        try await db.write { conn in
            try await conn.execute(
                """
                UPDATE tool_offerings SET name = $1, capability = $2, capabilities = $3, model_version_id = $4, model_reference = $5, org_kinds = $6,
                    sectors = $7, jurisdictions = $8, min_employees = $9, max_employees = $10, capacity = $11, terms = $12, updated_at = $13
                WHERE id = $14
                """,
                Self.editable(s) + [.int(now.microsecondsSinceEpoch), .text(id)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.offering.update", target: "offering:\(id)",
                                                 detail: ["name": s.name, "capacity": String(s.capacity)]), at: now, on: conn)
        }
        return stored
    }

    /// Retiring closes an offering to new requests and declines the open ones with the reason
    /// given; grants already made run to their end dates.
    public func retireOffering(id: String, reason: String, by reader: Reader) async throws -> ToolOffering {
        let current = try await offering(id: id)
        try Self.requireProvider(reader, of: current)
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw DomainError.invalid(field: "reason", reason: "is required to retire an offering") }
        guard !current.retired else { throw DomainError.conflict("the offering was already retired") }
        let now = clock.now(), micros = SQLValue.int(now.microsecondsSinceEpoch)
        try await db.write { conn in
            try await conn.execute("UPDATE tool_offerings SET retired_at = $1, retired_by = $2, retire_reason = $3 WHERE id = $4",
                                   [micros, .text(reader.userName), .text(why), .text(id)])
            try await conn.execute(
                "UPDATE tool_requests SET state = 'declined', reason = $1, decided_at = $2, decided_by = $3 WHERE offering_id = $4 AND state IN ('requested', 'waitlisted')",
                [.text("the offering was retired: \(why)"), micros, .text(reader.userName), .text(id)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.offering.retire", target: "offering:\(id)",
                                                 detail: ["reason": why]), at: now, on: conn)
        }
        return try await offering(id: id)
    }

    public func offering(id: String) async throws -> ToolOffering {
        guard let row = try await db.read({ conn in try await conn.first("SELECT * FROM tool_offerings WHERE id = $1", [.text(id)]) }) else {
            throw DomainError.notFound("offering \(id)")
        }
        return try Self.offering(row)
    }

    /// One offering as `reader` sees it: eligibility reasons, places taken, the wait-list length.
    public func offeringView(id: String, for reader: Reader) async throws -> OfferingView {
        guard let view = try await offerings(for: reader, includeRetired: true, only: id).first else { throw DomainError.notFound("offering \(id)") }
        return view
    }

    /// Every offering with the reasons this reader's organisation is not eligible (none when it
    /// is). Retired offerings only when asked for.
    public func offerings(for reader: Reader, includeRetired: Bool = false, only id: String? = nil) async throws -> [OfferingView] {
        let profile = try await profile(orgId: reader.orgId)
        let now = clock.now().microsecondsSinceEpoch
        return try await db.read { conn in
            var held: [String: Int] = [:], waiting: [String: Int] = [:]
            for row in try await conn.query("SELECT offering_id, COUNT(*) AS n FROM tool_grants WHERE ended_at IS NULL AND ends_at > $1 GROUP BY offering_id", [.int(now)]) {
                held[try row.string("offering_id")] = Int(try row.int("n"))
            }
            for row in try await conn.query("SELECT offering_id, COUNT(*) AS n FROM tool_requests WHERE state = 'waitlisted' GROUP BY offering_id") {
                waiting[try row.string("offering_id")] = Int(try row.int("n"))
            }
            // The latest request of the reader's organisation to each offering.
            var mine: [String: AccessDecision] = [:]
            for row in try await conn.query("SELECT offering_id, state FROM tool_requests WHERE org_id = $1 ORDER BY requested_at, id", [.text(reader.orgId)]) {
                mine[try row.string("offering_id")] = AccessDecision(rawValue: try row.string("state"))
            }
            var sql = "SELECT * FROM tool_offerings WHERE 1 = 1"
            var binds: [SQLValue] = []
            if !includeRetired { sql += " AND retired_at IS NULL" }
            if let id { binds.append(.text(id)); sql += " AND id = $\(binds.count)" }
            return try await conn.query(sql + " ORDER BY name, id", binds).map { row in
                let o = try Self.offering(row)
                return OfferingView(offering: o, reasons: Eligibility.reasons(o, profile: profile, orgKind: reader.orgKind),
                                    approved: held[o.id] ?? 0, waiting: waiting[o.id] ?? 0, ownRequest: mine[o.id])
            }
        }
    }

    /// Usage reported across an offering's grants, by measure.
    public func usageSummary(offeringId: String) async throws -> UsageSummary {
        try await db.read { conn in
            let lines = try await conn.query(
                """
                SELECT u.measure, SUM(u.quantity) AS total, COUNT(*) AS n FROM tool_usage_reports u JOIN tool_grants g ON g.id = u.grant_id
                WHERE g.offering_id = $1 GROUP BY u.measure ORDER BY u.measure
                """, [.text(offeringId)]
            ).map { UsageSummary.Line(measure: try $0.string("measure"), total: try $0.double("total"), reports: Int(try $0.int("n"))) }
            let grants = try await conn.scalarInt(
                "SELECT COUNT(DISTINCT u.grant_id) FROM tool_usage_reports u JOIN tool_grants g ON g.id = u.grant_id WHERE g.offering_id = $1",
                [.text(offeringId)])
            return UsageSummary(lines: lines, grantsReporting: Int(grants))
        }
    }

    // MARK: - requests and decisions

    /// A defender asks for an offering it is eligible for, saying what it will use it for.
    public func request(offeringId: String, purpose: String, by reader: Reader) async throws -> AccessRequest {
        guard reader.mayWrite else { throw DomainError.forbidden("this credential may only read") }
        let view = try await offeringView(id: offeringId, for: reader)
        let why = purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw DomainError.invalid(field: "purpose", reason: "is required: say what your organisation will use the tool for") }
        guard why.count <= 4000 else { throw DomainError.invalid(field: "purpose", reason: "must be at most 4000 characters") }
        guard view.eligible else { throw DomainError.invalid(field: "offering_id", reason: "not eligible: " + view.reasons.joined(separator: "; ")) }
        let id = UUID().uuidString.lowercased(), now = clock.now()
        try await db.write { conn in
            if try await conn.first("SELECT id FROM tool_requests WHERE offering_id = $1 AND org_id = $2 AND state IN ('requested', 'waitlisted')",
                                    [.text(offeringId), .text(reader.orgId)]) != nil {
                throw DomainError.conflict("your organisation already has an open request for this offering")
            }
            if try await conn.first("SELECT id FROM tool_grants WHERE offering_id = $1 AND org_id = $2 AND ended_at IS NULL AND ends_at > $3",
                                    [.text(offeringId), .text(reader.orgId), .int(now.microsecondsSinceEpoch)]) != nil {
                throw DomainError.conflict("your organisation already holds a grant of this offering")
            }
            try await conn.execute(
                "INSERT INTO tool_requests (id, offering_id, org_id, purpose, state, requested_at, requested_by) VALUES ($1, $2, $3, $4, 'requested', $5, $6)",
                [.text(id), .text(offeringId), .text(reader.orgId), .text(why), .int(now.microsecondsSinceEpoch), .text(reader.userName)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.request", target: "offering:\(offeringId)",
                                                 detail: ["request": id]), at: now, on: conn)
        }
        return try await request(id: id, reader: reader)
    }

    /// The provider's organisation or a coordinator decides. Approval needs the grant's start and
    /// end; when the offering has no free place the request goes on the wait-list instead, and
    /// the outcome says so. Wait-listing and declining need a reason.
    public func decide(requestId: String, _ decision: AccessDecision, reason: String, startsAt: Date? = nil, endsAt: Date? = nil,
                       by reader: Reader) async throws -> DecisionOutcome {
        guard decision != .requested else { throw DomainError.invalid(field: "decision", reason: "must be approved, waitlisted or declined") }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if decision != .approved && why.isEmpty {
            throw DomainError.invalid(field: "reason", reason: "is required when wait-listing or declining")
        }
        let current = try await request(id: requestId, reader: reader)
        let offering = try await offering(id: current.offeringId)
        try Self.requireDecider(reader, of: offering)
        var span: (Date, Date)?
        if decision == .approved {
            guard let startsAt else { throw DomainError.invalid(field: "starts_at", reason: "is required to approve (the grant's start)") }
            guard let endsAt else { throw DomainError.invalid(field: "ends_at", reason: "is required to approve (the grant's end)") }
            guard endsAt > startsAt else { throw DomainError.invalid(field: "ends_at", reason: "must be after starts_at") }
            guard endsAt > clock.now() else { throw DomainError.invalid(field: "ends_at", reason: "must be in the future") }
            span = (startsAt, endsAt)
        }
        let allowed: Set<AccessDecision> = decision == .waitlisted ? [.requested] : [.requested, .waitlisted]
        guard allowed.contains(current.state) else {
            throw DomainError.conflict("the request is \(current.state.rawValue) and cannot be \(decision.rawValue) now")
        }
        if decision == .approved, offering.retired { throw DomainError.conflict("the offering was retired") }
        let now = clock.now(), micros = SQLValue.int(now.microsecondsSinceEpoch), approval = span
        let (grantId, note): (String?, String) = try await db.write { conn in
            // Re-read under the write lock so two deciders cannot both take the last place.
            let row = try await conn.first("SELECT state FROM tool_requests WHERE id = $1", [.text(requestId)])
            guard let row, try row.string("state") == current.state.rawValue else { throw DomainError.conflict("the request changed meanwhile; reload it") }
            var state = decision, note = "", reasonText = why, grantId: String?
            if let (start, end) = approval {
                let held = try await conn.scalarInt("SELECT COUNT(*) FROM tool_grants WHERE offering_id = $1 AND ended_at IS NULL AND ends_at > $2",
                                                    [.text(offering.id), micros])
                if held >= Int64(offering.capacity) {
                    state = .waitlisted
                    note = "the offering is at capacity (\(held) of \(offering.capacity) places taken); the request was wait-listed"
                    reasonText = why.isEmpty ? "at capacity when approved" : why
                } else {
                    let id = UUID().uuidString.lowercased()
                    grantId = id
                    try await conn.execute(
                        "INSERT INTO tool_grants (id, request_id, offering_id, org_id, starts_at, ends_at, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        [.text(id), .text(requestId), .text(offering.id), .text(current.orgId), .int(start.microsecondsSinceEpoch),
                         .int(end.microsecondsSinceEpoch), micros, .text(reader.userName)])
                    note = "granted from \(start.utcDisplay) to \(end.utcDisplay)"
                }
            }
            try await conn.execute("UPDATE tool_requests SET state = $1, reason = $2, decided_at = $3, decided_by = $4 WHERE id = $5",
                                   [.text(state.rawValue), .text(reasonText), micros, .text(reader.userName), .text(requestId)])
            var detail = ["request": requestId, "decision": decision.rawValue, "outcome": state.rawValue]
            if let grantId { detail["grant"] = grantId }
            if !reasonText.isEmpty { detail["reason"] = reasonText }
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.decide", target: "offering:\(offering.id)", detail: detail),
                                      at: now, on: conn)
            return (grantId, note)
        }
        return DecisionOutcome(request: try await request(id: requestId, reader: reader),
                               grant: try await grantId.asyncMap { try await grant(id: $0, reader: reader) }, note: note)
    }

    /// When a place is free, the provider or a coordinator offers it to the head of the wait-list
    /// (the earliest request): the same as approving that request.
    public func offerNextPlace(offeringId: String, startsAt: Date?, endsAt: Date?, by reader: Reader) async throws -> DecisionOutcome {
        let offering = try await offering(id: offeringId)
        try Self.requireDecider(reader, of: offering)
        let head = try await db.read { conn in
            try await conn.first("SELECT id FROM tool_requests WHERE offering_id = $1 AND state = 'waitlisted' ORDER BY requested_at, id LIMIT 1",
                                 [.text(offeringId)])
        }
        guard let head else { throw DomainError.conflict("nobody is on the wait-list of this offering") }
        let view = try await offeringView(id: offeringId, for: reader)
        guard view.placesFree > 0 else { throw DomainError.conflict("no place is free: \(view.approved) of \(offering.capacity) places are taken") }
        return try await decide(requestId: try head.string("id"), .approved, reason: "offered a freed place from the wait-list",
                                startsAt: startsAt, endsAt: endsAt, by: reader)
    }

    public func request(id: String, reader: Reader) async throws -> AccessRequest {
        let visible = Self.visibleSQL(reader, firstBind: 2)
        let row = try await db.read { conn in
            try await conn.first(Self.requestSelect + " WHERE r.id = $1 AND \(visible.sql)", [.text(id)] + visible.binds)
        }
        guard let row else { throw DomainError.notFound("request \(id)") }
        return try Self.request(row)
    }

    /// Requests the reader may see, newest first.
    public func requests(reader: Reader, filter: ToolListFilter = ToolListFilter()) async throws -> (items: [AccessRequest], total: Int) {
        try await visiblePage(reader, filter, alias: "r", table: "tool_requests", select: Self.requestSelect,
                              order: "r.requested_at DESC, r.id", Self.request)
    }

    /// One page of requests (alias `r`) or grants (alias `g`) filtered and limited to what the reader may see.
    func visiblePage<T: Sendable>(_ reader: Reader, _ filter: ToolListFilter, alias: String, table: String, select: String, order: String,
                                  _ map: @escaping @Sendable (SQLRow) throws -> T) async throws -> (items: [T], total: Int) {
        var binds: [SQLValue] = []
        var conditions: [String] = []
        if let o = filter.offeringId { binds.append(.text(o)); conditions.append("\(alias).offering_id = $\(binds.count)") }
        if let org = filter.orgId { binds.append(.text(org)); conditions.append("\(alias).org_id = $\(binds.count)") }
        if alias == "r", let s = filter.state { binds.append(.text(s.rawValue)); conditions.append("r.state = $\(binds.count)") }
        let visible = Self.visibleSQL(reader, alias: alias, firstBind: binds.count + 1)
        conditions.append(visible.sql)
        binds += visible.binds
        let whereSQL = " WHERE " + conditions.joined(separator: " AND ")
        let limit = max(1, min(filter.limit, 500)), offset = max(0, filter.offset), values = binds
        return try await db.read { conn in
            let total = try await conn.scalarInt("SELECT COUNT(*) FROM \(table) \(alias) JOIN tool_offerings o ON o.id = \(alias).offering_id" + whereSQL, values)
            let items = try await conn.query(select + whereSQL + " ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)", values).map(map)
            return (items, Int(total))
        }
    }

    // MARK: - grants

    public func grant(id: String, reader: Reader) async throws -> ToolGrant {
        let visible = Self.visibleSQL(reader, alias: "g", firstBind: 2)
        let row = try await db.read { conn in
            try await conn.first(Self.grantSelect + " WHERE g.id = $1 AND \(visible.sql)", [.text(id)] + visible.binds)
        }
        guard let row else { throw DomainError.notFound("grant \(id)") }
        return try Self.grant(row)
    }

    /// Grants the reader may see, latest start first.
    public func grants(reader: Reader, filter: ToolListFilter = ToolListFilter()) async throws -> (items: [ToolGrant], total: Int) {
        try await visiblePage(reader, filter, alias: "g", table: "tool_grants", select: Self.grantSelect, order: "g.starts_at DESC, g.id", Self.grant)
    }

    /// The tool access of one organisation, for its defender home: every grant of `orgId` that
    /// `reader` may see (all of them for its own members and coordinators, those on its own
    /// offerings for a provider, none for anyone else), latest start first.
    public func grants(forOrganization orgId: String, reader: Reader) async throws -> [ToolGrant] {
        try await grants(reader: reader, filter: ToolListFilter(orgId: orgId, limit: 500)).items
    }

    /// Either side ends a grant before its end date: the defender organisation holding it, the
    /// provider, or a coordinator. The place it held is then free for the wait-list.
    public func endGrant(id: String, reason: String, by reader: Reader) async throws -> ToolGrant {
        let g = try await grant(id: id, reader: reader)
        guard reader.mayWrite, reader.orgId == g.orgId || reader.orgId == g.providerOrg || Self.isCoordinator(reader) else {
            throw DomainError.forbidden("only the organisation holding the grant, the provider or a coordinator ends it")
        }
        let now = clock.now()
        switch g.status(at: now) {
        case .ended: throw DomainError.conflict("the grant was already ended")
        case .expired: throw DomainError.conflict("the grant already reached its end date")
        case .scheduled, .active: break
        }
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try await db.write { conn in
            try await conn.execute("UPDATE tool_grants SET ended_at = $1, ended_by = $2, end_reason = $3 WHERE id = $4 AND ended_at IS NULL",
                                   [.int(now.microsecondsSinceEpoch), .text(reader.userName), .text(why), .text(id)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.grant.end", target: "offering:\(g.offeringId)",
                                                 detail: ["grant": id, "reason": why]), at: now, on: conn)
        }
        return try await grant(id: id, reader: reader)
    }

    // MARK: - usage

    /// The defender organisation holding the grant, or the provider, reports usage for a period
    /// that overlaps the grant and has begun.
    public func recordUsage(grantId: String, _ input: UsageInput, by reader: Reader) async throws -> UsageReport {
        let g = try await grant(id: grantId, reader: reader)
        guard reader.mayWrite, reader.orgId == g.orgId || reader.orgId == g.providerOrg || reader.isAdmin else {
            throw DomainError.forbidden("only the organisation holding the grant or the provider reports usage")
        }
        guard UsageReport.measures.contains(input.measure) else {
            throw DomainError.invalid(field: "measure", reason: "must be one of \(UsageReport.measures.joined(separator: ", "))")
        }
        guard input.quantity.isFinite, input.quantity >= 0 else { throw DomainError.invalid(field: "quantity", reason: "must be a number, zero or more") }
        guard input.periodEnd > input.periodStart else { throw DomainError.invalid(field: "period_end", reason: "must be after period_start") }
        let now = clock.now()
        guard input.periodStart <= now else { throw DomainError.invalid(field: "period_start", reason: "must not be in the future") }
        let effectiveEnd = g.endedAt ?? g.endsAt
        guard input.periodStart < effectiveEnd, input.periodEnd > g.startsAt else {
            throw DomainError.invalid(field: "period_start",
                                      reason: "the period must overlap the grant (\(g.startsAt.utcDisplay) to \(effectiveEnd.utcDisplay))")
        }
        let outcome = input.outcome.trimmingCharacters(in: .whitespacesAndNewlines)
        guard outcome.count <= 4000 else { throw DomainError.invalid(field: "outcome", reason: "must be at most 4000 characters") }
        let report = UsageReport(id: UUID().uuidString.lowercased(), grantId: grantId, periodStart: input.periodStart, periodEnd: input.periodEnd,
                                 measure: input.measure, quantity: input.quantity, outcome: outcome, reportedAt: now, reportedBy: reader.userName)
        try await db.write { conn in
            try await conn.execute(
                """
                INSERT INTO tool_usage_reports (id, grant_id, period_start, period_end, measure, quantity, outcome, reported_at, reported_by, reporter_org)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """,
                [.text(report.id), .text(grantId), .int(report.periodStart.microsecondsSinceEpoch), .int(report.periodEnd.microsecondsSinceEpoch),
                 .text(report.measure), .double(report.quantity), .text(outcome), .int(now.microsecondsSinceEpoch), .text(reader.userName), .text(reader.orgId)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "tools.usage", target: "offering:\(g.offeringId)",
                                                 detail: ["grant": grantId, "report": report.id, "measure": report.measure]), at: now, on: conn)
        }
        return report
    }

    public func usage(grantId: String, reader: Reader) async throws -> [UsageReport] {
        _ = try await grant(id: grantId, reader: reader)
        return try await db.read { conn in
            try await conn.query("SELECT * FROM tool_usage_reports WHERE grant_id = $1 ORDER BY period_start, id", [.text(grantId)]).map { r in
                UsageReport(id: try r.string("id"), grantId: try r.string("grant_id"),
                            periodStart: Date(microsecondsSinceEpoch: try r.int("period_start")), periodEnd: Date(microsecondsSinceEpoch: try r.int("period_end")),
                            measure: try r.string("measure"), quantity: try r.double("quantity"), outcome: try r.string("outcome"),
                            reportedAt: Date(microsecondsSinceEpoch: try r.int("reported_at")), reportedBy: try r.string("reported_by"))
            }
        }
    }

    // MARK: - coverage

    /// Demand and coverage by sector and jurisdiction, for coordinators: rows with no covered
    /// defender are the gaps (e.g. rural hospitals without any offering). `approved` counts the
    /// organisations' grants holding a place now.
    public func coverage() async throws -> [CoverageRow] {
        let now = clock.now().microsecondsSinceEpoch
        let (profiles, offerings, requests, grants) = try await db.read { conn in
            let p = try await conn.query("SELECT p.*, o.kind FROM defender_profiles p JOIN organisations o ON o.id = p.org_id").map {
                (try Self.profile($0), OrganisationKind(rawValue: try $0.string("kind")) ?? .defender)
            }
            let o = try await conn.query("SELECT * FROM tool_offerings WHERE retired_at IS NULL").map(Self.offering)
            let r = try await conn.query("SELECT org_id FROM tool_requests").map { try $0.string("org_id") }
            let g = try await conn.query("SELECT org_id FROM tool_grants WHERE ended_at IS NULL AND ends_at > $1", [.int(now)]).map { try $0.string("org_id") }
            return (p, o, r, g)
        }
        var rows: [String: CoverageRow] = [:]
        for (profile, kind) in profiles {
            let key = profile.sector + "|" + profile.jurisdiction
            var row = rows[key] ?? CoverageRow(sector: profile.sector, jurisdiction: profile.jurisdiction, defenders: 0, covered: 0, requests: 0, approved: 0)
            row.defenders += 1
            if offerings.contains(where: { Eligibility.reasons($0, profile: profile, orgKind: kind).isEmpty }) { row.covered += 1 }
            row.requests += requests.filter { $0 == profile.orgId }.count
            row.approved += grants.filter { $0 == profile.orgId }.count
            rows[key] = row
        }
        return rows.values.sorted { ($0.sector, $0.jurisdiction) < ($1.sector, $1.jurisdiction) }
    }

    // MARK: - helpers

    public static func requireProvider(_ reader: Reader, of offering: ToolOffering) throws {
        guard reader.mayWrite, reader.isAdmin || reader.orgId == offering.providerOrg else {
            throw DomainError.forbidden("only the provider's organisation changes its offering")
        }
    }

    static func requireDecider(_ reader: Reader, of offering: ToolOffering) throws {
        guard reader.mayWrite, isCoordinator(reader) || reader.orgId == offering.providerOrg else {
            throw DomainError.forbidden("only the provider or a programme coordinator decides")
        }
    }

    /// Requests and grants: the requesting organisation, the provider, coordinators.
    static func visibleSQL(_ reader: Reader, alias: String = "r", firstBind: Int) -> (sql: String, binds: [SQLValue]) {
        if isCoordinator(reader) { return ("1 = 1", []) }
        return ("(\(alias).org_id = $\(firstBind) OR o.provider_org = $\(firstBind))", [.text(reader.orgId)])
    }

    static let requestSelect = """
        SELECT r.*, o.name AS offering_name, org.name AS org_name FROM tool_requests r JOIN tool_offerings o ON o.id = r.offering_id
        JOIN organisations org ON org.id = r.org_id
        """
    static let grantSelect = """
        SELECT g.*, o.name AS offering_name, o.provider_org, org.name AS org_name FROM tool_grants g JOIN tool_offerings o ON o.id = g.offering_id
        JOIN organisations org ON org.id = g.org_id
        """

    static func request(_ r: SQLRow) throws -> AccessRequest {
        AccessRequest(id: try r.string("id"), offeringId: try r.string("offering_id"), offeringName: try r.string("offering_name"),
                      orgId: try r.string("org_id"), orgName: try r.string("org_name"), purpose: try r.string("purpose"),
                      state: AccessDecision(rawValue: try r.string("state")) ?? .requested, reason: try r.string("reason"),
                      requestedAt: Date(microsecondsSinceEpoch: try r.int("requested_at")), requestedBy: try r.string("requested_by"),
                      decidedAt: r.optionalInt("decided_at").map(Date.init(microsecondsSinceEpoch:)), decidedBy: r.optionalString("decided_by"))
    }

    static func grant(_ r: SQLRow) throws -> ToolGrant {
        ToolGrant(id: try r.string("id"), requestId: try r.string("request_id"), offeringId: try r.string("offering_id"),
                  offeringName: try r.string("offering_name"), providerOrg: try r.string("provider_org"), orgId: try r.string("org_id"),
                  orgName: try r.string("org_name"), startsAt: Date(microsecondsSinceEpoch: try r.int("starts_at")),
                  endsAt: Date(microsecondsSinceEpoch: try r.int("ends_at")), grantedAt: Date(microsecondsSinceEpoch: try r.int("granted_at")),
                  grantedBy: try r.string("granted_by"), endedAt: r.optionalInt("ended_at").map(Date.init(microsecondsSinceEpoch:)),
                  endedBy: r.optionalString("ended_by"), endReason: try r.string("end_reason"))
    }

    static func offering(_ r: SQLRow) throws -> ToolOffering {
        ToolOffering(id: try r.string("id"), providerOrg: try r.string("provider_org"), name: try r.string("name"),
                     capabilities: LabelColumns.decodeList(try r.string("capabilities")), modelVersionId: r.optionalString("model_version_id"),
                     modelReference: try r.string("model_reference"),
                     orgKinds: LabelColumns.decodeList(try r.string("org_kinds")), sectors: LabelColumns.decodeList(try r.string("sectors")),
                     jurisdictions: LabelColumns.decodeList(try r.string("jurisdictions")), minEmployees: r.optionalInt("min_employees").map(Int.init),
                     maxEmployees: r.optionalInt("max_employees").map(Int.init), capacity: Int(try r.int("capacity")), terms: try r.string("terms"),
                     retiredAt: r.optionalInt("retired_at").map(Date.init(microsecondsSinceEpoch:)), retireReason: try r.string("retire_reason"))
    }

    /// Binds for the editable columns, in the order both INSERT and UPDATE name them.
    static func editable(_ s: ToolOffering) -> [SQLValue] {
        [.text(s.name), .text(s.capabilities.joined(separator: "; ")), .text(LabelColumns.encodeList(s.capabilities)), SQLValue(s.modelVersionId),
         .text(s.modelReference), .text(LabelColumns.encodeList(s.orgKinds)), .text(LabelColumns.encodeList(s.sectors)),
         .text(LabelColumns.encodeList(s.jurisdictions)), SQLValue(s.minEmployees), SQLValue(s.maxEmployees), .int(Int64(s.capacity)), .text(s.terms)]
    }

    /// Checks every field (names as in the API) and resolves the backing model version.
    func validated(_ o: ToolOffering, by reader: Reader) async throws -> ToolOffering {
        var s = o
        s.name = o.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if s.name.isEmpty { throw DomainError.invalid(field: "name", reason: "is required") }
        if s.name.count > 200 { throw DomainError.invalid(field: "name", reason: "must be at most 200 characters") }
        s.capabilities = o.capabilities.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }.filter { !$0.isEmpty }
        if s.capabilities.isEmpty { throw DomainError.invalid(field: "capabilities", reason: "name at least one, e.g. \(ToolOffering.commonCapabilities.prefix(4).joined(separator: ", "))") }
        for (i, c) in s.capabilities.enumerated() where c.count > 80 || c.contains(",") {
            throw DomainError.invalid(field: "capabilities[\(i)]", reason: "must be at most 80 characters, without commas")
        }
        if o.capacity < 0 { throw DomainError.invalid(field: "capacity", reason: "must be zero or more") }
        for (i, sector) in o.sectors.enumerated() where !DefenderProfile.sectors.contains(sector) {
            throw DomainError.invalid(field: "sectors[\(i)]", reason: "must be one of \(DefenderProfile.sectors.joined(separator: ", "))")
        }
        for (i, k) in o.orgKinds.enumerated() where OrganisationKind(rawValue: k) == nil {
            throw DomainError.invalid(field: "org_kinds[\(i)]", reason: "must be one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        s.jurisdictions = o.jurisdictions.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for (i, j) in s.jurisdictions.enumerated() where j.count > 80 || j.contains(",") {
            throw DomainError.invalid(field: "jurisdictions[\(i)]", reason: "must be at most 80 characters, without commas")
        }
        if let min = o.minEmployees, min < 0 { throw DomainError.invalid(field: "min_employees", reason: "must be zero or more") }
        if let max = o.maxEmployees, max < (o.minEmployees ?? 0) {
            throw DomainError.invalid(field: "max_employees", reason: "must be at least min_employees (and zero or more)")
        }
        if o.terms.count > 20_000 { throw DomainError.invalid(field: "terms", reason: "must be at most 20000 characters") }
        s.modelReference = o.modelReference.trimmingCharacters(in: .whitespacesAndNewlines)
        if let versionId = o.modelVersionId?.trimmingCharacters(in: .whitespaces), !versionId.isEmpty {
            // The frontier program's own access rule decides: the provider must be able to see the version.
            let version: VersionRecord
            do {
                version = try await FrontierStore(db: db, secrets: .ephemeral()).version(reader, id: versionId)
            } catch DomainError.notFound {
                throw DomainError.invalid(field: "model_version_id", reason: "no frontier model version with this id is visible to your organisation")
            }
            s.modelVersionId = versionId
            if s.modelReference.isEmpty { s.modelReference = "\(version.modelName) \(version.version)" }
        } else {
            s.modelVersionId = nil
        }
        return s
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
