// Incidents feeding threat sharing (EO 14409 §4, issue 7 item 4): the reporting organisation shares
// an incident into a TAXII collection it may write to, at the TLP it chooses, as STIX 2.1 (an
// `incident`, its indicators and `indicates` relationships). Personal data stays out unless the
// reporter includes it. The incident record itself is not widened: a collection reader sees only
// the shared STIX copy, and only if the collection's TLP rule admits it.
//
// The rules, checked before anything is written:
// - Only members of the reporting organisation share (TLP 2.0: the source of information sets its
//   label; a coordinator who may read the incident may not pass it on, and neither may an
//   installation administrator on the reporter's behalf).
// - The collection must be one the reporter's organisation may write to (a TAXII grant with write).
// - TLP: any level the reporter picks, except that a copy with personal data is never more
//   permissive than TLP:AMBER+STRICT (personal data does not go to a recipient's clients or to
//   the community), and TLP:RED needs named recipients (`x_clearinghouse_recipients`), without
//   which a RED object would reach no one.
// - Personal data: the filer's user name and the organisation filed on behalf of, e-mail-address
//   indicators, e-mail addresses written inside any text, and the free-text fields the reporter
//   flags as personal. All of it is left out (addresses replaced by "[personal data removed]")
//   unless the reporter ticks "include personal data".
import Foundation
import Platform
import ThreatSharing

/// Free-text parts of an incident a reporter may flag as personal data.
public enum IncidentTextField: String, Sendable, CaseIterable, Codable {
    case summary
    case systemsAffected = "systems_affected"
    case dataAffected = "data_affected"
    case aiPrompts = "ai_prompts"
    case aiAgentTraces = "ai_agent_traces"
    case aiTooling = "ai_tooling"
    case aiRateAndScale = "ai_rate_and_scale"
    case losses

    /// Prompts, agent traces and the description of the data affected name people most often, so
    /// forms start with these flagged.
    public static let flaggedByDefault: Set<IncidentTextField> = [.aiPrompts, .aiAgentTraces, .dataAffected]

    public var title: String {
        switch self {
        case .summary: "Summary"
        case .systemsAffected: "Systems affected"
        case .dataAffected: "Data affected"
        case .aiPrompts: "AI evidence: prompts"
        case .aiAgentTraces: "AI evidence: agent traces"
        case .aiTooling: "AI evidence: tooling"
        case .aiRateAndScale: "AI evidence: rate and scale"
        case .losses: "Losses"
        }
    }
}

/// What the reporter chooses when it shares an incident into a collection.
public struct FeedShareRequest: Sendable {
    public var collectionId: String
    public var tlp: TLP
    public var includePersonal: Bool
    public var personalFields: Set<IncidentTextField>
    /// User names a TLP:RED copy is for.
    public var recipients: [String]

    public init(collectionId: String, tlp: TLP, includePersonal: Bool = false,
                personalFields: Set<IncidentTextField> = IncidentTextField.flaggedByDefault, recipients: [String] = []) {
        self.collectionId = collectionId; self.tlp = tlp; self.includePersonal = includePersonal
        self.personalFields = personalFields; self.recipients = recipients
    }
}

/// A share on record.
public struct FeedShare: Sendable, Equatable {
    public var id: String
    public var incidentId: String
    public var collectionId: String
    public var tlp: TLP
    public var includePersonal: Bool
    public var personalFields: [String]
    public var recipients: [String]
    public var objectCount: Int
    public var sharedAt: Date
    public var sharedBy: String
}

/// The STIX 2.1 form of an incident, shared by the referral package (everything, at the incident's
/// own TLP) and by feeds (at the chosen TLP, personal data left out unless included).
public enum IncidentSTIX {
    public struct View: Sendable {
        public var tlp: TLP
        public var recipients: [String]?
        /// nil: everything (the referral package); else what to leave out.
        public var redaction: Redaction?
        public var seed: String
        public var modified: Date?
    }

    /// A feed copy: the free-text fields flagged personal, and whether personal data is included.
    public struct Redaction: Sendable {
        public var personalFields: Set<IncidentTextField>
        public var includePersonal: Bool
    }

    static let removed = "[personal data removed]"

    /// Replaces anything shaped like an e-mail address.
    static func scrub(_ text: String) -> String {
        text.replacingOccurrences(of: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"#, with: removed, options: .regularExpression)
    }

    static func description(_ incident: Incident, redaction: Redaction?) -> String {
        func part(_ field: IncidentTextField, _ text: String) -> String? {
            let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !t.isEmpty else { return nil }
            guard let redaction, !redaction.includePersonal else { return field == .summary ? t : "\(field.title): \(t)" }
            if redaction.personalFields.contains(field) { return "\(field.title): \(removed)" }
            let clean = scrub(t)
            return field == .summary ? clean : "\(field.title): \(clean)"
        }
        let e = incident.aiEvidence
        let loss = ([incident.losses.amountUSD.map { "USD \($0)" }, incident.losses.description.isEmpty ? nil : incident.losses.description]
            .compactMap { $0 }).joined(separator: "; ")
        return [
            part(.summary, incident.summary), part(.systemsAffected, incident.systemsAffected.joined(separator: ", ")),
            part(.dataAffected, incident.dataAffected.joined(separator: ", ")), part(.aiTooling, e.tooling),
            part(.aiRateAndScale, e.rateAndScale), part(.aiPrompts, e.prompts), part(.aiAgentTraces, e.agentTraces), part(.losses, loss),
        ].compactMap { $0 }.joined(separator: "\n\n")
    }

    /// The objects: the reporting organisation's identity, the incident, each indicator and an
    /// `indicates` relationship from it to the incident. Ids are name-based on `view.seed`, so the
    /// same export or share gives the same ids.
    public static func objects(_ incident: Incident, view: View) -> [JSONValue] {
        let created = ReferralPackage.stixTime(incident.filedAt)
        let modified = view.modified.map(ReferralPackage.stixTime) ?? created
        let identity = ReferralPackage.stixId("identity", "org:" + incident.label.ownerOrg)
        let incidentId = ReferralPackage.stixId("incident", view.seed)
        func common(_ type: String, _ id: String) -> [String: JSONValue] {
            var o: [String: JSONValue] = [
                "type": .string(type), "spec_version": .string("2.1"), "id": .string(id), "created": .string(created),
                "modified": .string(modified), "created_by_ref": .string(identity), "object_marking_refs": .array([.string(view.tlp.markingDefinitionId)]),
            ]
            if let recipients = view.recipients, view.tlp == .red { o[TLPRecipients.propertyName] = .array(recipients.map(JSONValue.string)) }
            return o
        }
        var objects: [JSONValue] = []
        var org = common("identity", identity)
        org.removeValue(forKey: "created_by_ref")
        org["name"] = .string("Reporting organisation " + incident.label.ownerOrg)
        org["identity_class"] = .string("organization")
        objects.append(.object(org))
        var inc = common("incident", incidentId)
        let redacting = view.redaction.map { !$0.includePersonal } ?? false
        inc["name"] = .string(redacting ? scrub(incident.title) : incident.title)
        inc["description"] = .string(view.redaction == nil ? incident.summary : description(incident, redaction: view.redaction))
        inc["external_references"] = .array([.object(["source_name": .string("clearinghouse"), "external_id": .string(incident.id)])])
        if view.redaction?.includePersonal == true {
            inc["x_clearinghouse_reported_by"] = .string(incident.filedBy)
            if let behalf = incident.onBehalfOf { inc["x_clearinghouse_on_behalf_of"] = .string(behalf) }
        }
        objects.append(.object(inc))
        for (n, indicator) in incident.indicators.enumerated() {
            if redacting && indicator.type == "email-addr" { continue }
            let id = ReferralPackage.stixId("indicator", "\(view.seed):indicator:\(n):\(indicator.type):\(indicator.value)")
            var o = common("indicator", id)
            o["name"] = .string("\(indicator.type) \(indicator.value)")
            o["indicator_types"] = .array([.string("malicious-activity")])
            o["pattern"] = .string(ReferralPackage.stixPattern(indicator))
            o["pattern_type"] = .string("stix")
            o["valid_from"] = .string(ReferralPackage.stixTime(incident.startedAt))
            objects.append(.object(o))
            var r = common("relationship", ReferralPackage.stixId("relationship", id + "→" + incidentId))
            r["relationship_type"] = .string("indicates")
            r["source_ref"] = .string(id)
            r["target_ref"] = .string(incidentId)
            objects.append(.object(r))
        }
        return objects
    }
}

extension IncidentStore {
    /// Shares the incident into a threat-sharing collection under the rules at the top of this file;
    /// the share is audited in the same transaction that records it. Returns the share on record.
    public func shareToCollection(incidentId: String, _ request: FeedShareRequest, by reader: Reader) async throws -> FeedShare {
        let incident = try await load(id: incidentId)
        guard IncidentAccess.canRead(reader, incident.label) else { throw DomainError.notFound("incident \(incidentId)") }
        guard reader.mayWrite, reader.orgId == incident.label.ownerOrg else {
            throw DomainError.forbidden("only the reporting organisation shares an incident into threat-sharing collections")
        }
        let sharing = ThreatSharingStore(db: db)
        guard let found = try await sharing.collection(id: request.collectionId, for: reader), found.1.canWrite else {
            throw DomainError.invalid(field: "collection_id", reason: "no collection your organisation may write to has this id")
        }
        let collection = found.0
        if request.includePersonal && request.tlp < .amberStrict {
            throw DomainError.invalid(field: "tlp", reason: "a copy that includes personal data is shared at TLP:AMBER+STRICT or TLP:RED, not \(request.tlp.label)")
        }
        let recipients = Array(Set(request.recipients.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })).sorted()
        if request.tlp == .red && recipients.isEmpty {
            throw DomainError.invalid(field: "recipients", reason: "a TLP:RED copy needs the user names of its recipients")
        }
        let now = clock.now()
        let shareId = UUID().uuidString.lowercased()
        let view = IncidentSTIX.View(tlp: request.tlp, recipients: request.tlp == .red ? recipients : nil,
                                     redaction: IncidentSTIX.Redaction(personalFields: request.personalFields, includePersonal: request.includePersonal),
                                     seed: "incident:\(incident.id):collection:\(collection.id):tlp:\(request.tlp.name):personal:\(request.includePersonal)",
                                     modified: now)
        let objects = IncidentSTIX.objects(incident, view: view)
        let fields = request.includePersonal ? [] : request.personalFields.map(\.rawValue).sorted()
        // The objects, the share record and its audit entry commit together: a failure anywhere
        // leaves neither objects without a share nor a share without objects.
        try await db.write { conn in
            let status = try await ThreatSharingStore.publish(objects, to: collection, actor: reader.userName, at: now, on: conn)
            guard status.failures.isEmpty else {
                throw DomainError.conflict("the collection refused \(status.failures.count) of \(objects.count) objects: \(status.failures.first?.message ?? "")")
            }
            try await conn.execute("""
                INSERT INTO incident_feed_shares (id, incident_id, collection_id, tlp, include_personal, personal_fields, recipients, object_count, shared_at, shared_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """, [.text(shareId), .text(incident.id), .text(collection.id), .text(request.tlp.name), .int(request.includePersonal ? 1 : 0),
                      .text("," + fields.map { $0 + "," }.joined()), .text("," + recipients.map { $0 + "," }.joined()),
                      .int(Int64(objects.count)), .int(now.microsecondsSinceEpoch), .text(reader.userName)])
            try await AuditLog.append(AuditEvent(actor: reader.userName, action: "incident.feed.share", target: Self.target(incident.id), detail: [
                "collection": collection.id, "tlp": request.tlp.name, "include_personal": request.includePersonal ? "yes" : "no",
                "personal_fields": fields.joined(separator: " "), "objects": String(objects.count),
            ]), at: now, on: conn)
        }
        return FeedShare(id: shareId, incidentId: incident.id, collectionId: collection.id, tlp: request.tlp, includePersonal: request.includePersonal,
                         personalFields: fields, recipients: recipients, objectCount: objects.count, sharedAt: now, sharedBy: reader.userName)
    }

    /// The shares of an incident, oldest first, for those who may read the incident.
    public func feedShares(incidentId: String, reader: Reader) async throws -> [FeedShare] {
        let incident = try await load(id: incidentId)
        guard IncidentAccess.canRead(reader, incident.label) else { throw DomainError.notFound("incident \(incidentId)") }
        return try await db.read { conn in
            try await conn.query("SELECT * FROM incident_feed_shares WHERE incident_id = $1 ORDER BY shared_at, id", [.text(incidentId)]).map { row in
                func list(_ column: String) throws -> [String] { try row.string(column).split(separator: ",").map(String.init) }
                return FeedShare(id: try row.string("id"), incidentId: incidentId, collectionId: try row.string("collection_id"),
                                 tlp: TLP(name: try row.string("tlp")) ?? .red, includePersonal: try row.int("include_personal") == 1,
                                 personalFields: try list("personal_fields"), recipients: try list("recipients"),
                                 objectCount: Int(try row.int("object_count")), sharedAt: Date(microsecondsSinceEpoch: try row.int("shared_at")),
                                 sharedBy: try row.string("shared_by"))
            }
        }
    }

    /// Collections the reader's organisation may write to, for the share form.
    public func writableCollections(reader: Reader) async throws -> [TAXIICollection] {
        let sharing = ThreatSharingStore(db: db)
        var out: [TAXIICollection] = []
        for root in try await sharing.apiRoots() {
            out += try await sharing.collections(apiRoot: root.name, for: reader).filter { $0.1.canWrite }.map(\.0)
        }
        return out
    }
}
