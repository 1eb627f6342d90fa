// Advisories over HTTP: a coordinator publishes a case's advisory (CSAF 2.0 + OSV, versioned);
// readers list and fetch them (CSAF as `application/csaf+json` when asked for, else
// `application/json`; OSV as `application/json`); administrators set the publisher and the
// threat-sharing collection. Publishing also puts STIX 2.1 `vulnerability` and `report` objects,
// marked with the case's TLP, into that collection through `ThreatSharingStore.publish`.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform
import ThreatSharing
import Vulnerabilities

extension VulnerabilityController {
    static let advisoryRoutes: [(method: String, path: String)] = [
        ("post", "/api/v1/vulns/cases/{id}/advisory"), ("get", "/api/v1/vulns/advisories"),
        ("get", "/api/v1/vulns/advisories/{id}"), ("get", "/api/v1/vulns/advisories/{id}/csaf"),
        ("get", "/api/v1/vulns/advisories/{id}/osv"), ("get", "/api/v1/vulns/advisory-settings"),
        ("put", "/api/v1/vulns/advisory-settings"),
    ]

    func registerAdvisories(on group: RouterGroup<AppContext>) {
        group.post("vulns/cases/:id/advisory", use: publishAdvisory)
        group.get("vulns/advisories", use: listAdvisories)
        group.get("vulns/advisories/:id", use: getAdvisory)
        group.get("vulns/advisories/:id/csaf", use: getCSAF)
        group.get("vulns/advisories/:id/osv", use: getOSV)
        group.get("vulns/advisory-settings", use: getAdvisorySettings)
        group.put("vulns/advisory-settings", use: putAdvisorySettings)
    }

    @Sendable func publishAdvisory(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(PublishAdvisoryInput.self, context: context)
        let publication = AdvisoryPublication(reason: input.reason, title: input.title, summary: input.summary, details: input.details,
                                              remediation: input.remediation, references: input.references ?? [])
        let (advisory, feed) = try await AdvisoryPublisher(services: services)
            .publish(caseId: try context.parameters.require("id"), publication, by: reader, request: request)
        var response = try Response.json(AdvisoryDTO(advisory, feed: feed), status: .created)
        response.headers[.location] = "/api/v1/vulns/advisories/\(advisory.trackingId)"
        return response
    }

    @Sendable func listAdvisories(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let q = Query(request)
        let limit = try q.int("limit", range: 1...500) ?? 50, offset = try q.int("offset", range: 0...10_000_000) ?? 0
        let page = try await store.advisories(reader: reader, limit: limit, offset: offset)
        return try .json(Page(items: page.items.map { AdvisoryDTO($0, feed: nil) }, total: page.total, limit: limit, offset: offset))
    }

    @Sendable func getAdvisory(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let versions = try await store.advisoryVersions(try context.parameters.require("id"), reader: reader)
        var dto = AdvisoryDTO(versions.last!, feed: nil)
        dto.versions = versions.map { AdvisoryVersionDTO(version: $0.version, status: $0.status, published_at: $0.publishedAt,
                                                          publisher: $0.publisher, feed_status: $0.feedStatus) }
        return try .json(dto)
    }

    @Sendable func getCSAF(_ request: Request, context: AppContext) async throws -> Response {
        let advisory = try await requestedAdvisory(request, context)
        let accept = request.headers[.accept] ?? ""
        let type = accept.contains("application/csaf+json") ? "application/csaf+json" : "application/json"
        return Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: advisory.csaf.encoded())))
    }

    @Sendable func getOSV(_ request: Request, context: AppContext) async throws -> Response {
        let advisory = try await requestedAdvisory(request, context)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: advisory.osv.encoded())))
    }

    func requestedAdvisory(_ request: Request, _ context: AppContext) async throws -> StoredAdvisory {
        let reader = try context.requireReader()
        let version = try Query(request).int("version", range: 1...1_000_000)
        return try await store.advisory(try context.parameters.require("id"), version: version, reader: reader)
    }

    @Sendable func getAdvisorySettings(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        guard reader.isAdmin else { throw DomainError.forbidden("only administrators read advisory settings") }
        return try .json(AdvisorySettingsDTO(try await store.advisorySettings()))
    }

    @Sendable func putAdvisorySettings(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireAdmin()
        let input = try await request.decodeInput(AdvisorySettingsDTO.self, context: context)
        if let collection = input.feed_collection, !collection.isEmpty,
           try await ThreatSharingStore(db: services.db).collection(id: collection) == nil {
            throw DomainError.invalid(field: "$.feed_collection", reason: "names no threat-sharing collection")
        }
        let settings = AdvisorySettings(publisherName: input.publisher_name, publisherNamespace: input.publisher_namespace,
                                        trackingPrefix: input.tracking_prefix, osvPrefix: input.osv_prefix,
                                        feedCollection: input.feed_collection.flatMap { $0.isEmpty ? nil : $0 })
        return try .json(AdvisorySettingsDTO(try await store.setAdvisorySettings(settings, by: reader)))
    }
}

/// Publishes an advisory and, when a collection is configured, its STIX objects. Shared by the API
/// and the case page's button.
struct AdvisoryPublisher {
    let services: AppServices
    var store: VulnerabilityStore { VulnerabilityStore(db: services.db, clock: services.clock, secrets: services.secrets) }

    func publish(caseId: String, _ publication: AdvisoryPublication, by reader: Reader, request: Request)
        async throws -> (StoredAdvisory, AdvisoryFeedDTO?) {
        var settings = try await store.advisorySettings()
        if settings.publisherNamespace == AdvisorySettings().publisherNamespace, let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!],
           host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) {
            // Not configured: the namespace is this server as the request reached it.
            settings.publisherNamespace = (services.configuration.secureCookies ? "https://" : "http://") + host
        }
        let advisory = try await store.publishAdvisory(caseId: caseId, publication, settings: settings,
                                                       generatorVersion: Pages.version, by: reader)
        guard let collection = settings.feedCollection else {
            return (advisory, AdvisoryFeedDTO(collection: nil, status: nil, published: false,
                                              note: "no threat-sharing collection is designated for advisories"))
        }
        let objects = try await AdvisoryFeed.objects(advisory, db: services.db)
        do {
            guard let target = try await ThreatSharingStore(db: services.db).collection(id: collection) else {
                throw DomainError.notFound("collection")
            }
            // The objects and the advisory's link to their status commit together.
            let now = services.clock.now(), actor = reader.userName, advisoryId = advisory.id
            let status = try await services.db.write { conn in
                let status = try await ThreatSharingStore.publish(objects, to: target, actor: actor, at: now, on: conn)
                try await VulnerabilityStore.recordAdvisoryFeed(advisoryId: advisoryId, statusId: status.id, actor: actor, at: now, on: conn)
                return status
            }
            let failures = status.failures.map { "\($0.objectId): \($0.message ?? "")" }
            return (advisory, AdvisoryFeedDTO(collection: collection, status: status.id, published: failures.isEmpty,
                                              note: failures.isEmpty ? nil : failures.joined(separator: "; ")))
        } catch let error as DomainError {
            // The advisory stands; the answer says the feed did not take it.
            return (advisory, AdvisoryFeedDTO(collection: collection, status: nil, published: false, note: "\(error)"))
        }
    }
}

/// The STIX 2.1 form of an advisory version: a `vulnerability` and a `report` that refers to it,
/// with the case's TLP marking; for TLP:RED, the case's named individuals as recipients. Ids are
/// derived from the case, so every version of one advisory is a new version of the same objects.
enum AdvisoryFeed {
    static func objects(_ a: StoredAdvisory, db: any Database) async throws -> [JSONValue] {
        let vulnerabilityId = "vulnerability--" + derivedUUID("vulnerability:" + a.caseId)
        let reportId = "report--" + derivedUUID("report:" + a.caseId)
        let created = a.csaf["document"]?["tracking"]?["initial_release_date"]?.stringValue ?? a.publishedAt.iso8601
        let modified = stixTime(a.publishedAt)
        let createdStix = Date.parseISO8601(created).map(stixTime) ?? modified
        let cves = (a.osv["aliases"]?.arrayValue ?? []).compactMap(\.stringValue).filter { $0.hasPrefix("CVE-") }
        var references: [JSONValue] = cves.map { ["source_name": "cve", "external_id": .string($0)] }
        references.append(["source_name": "clearinghouse", "external_id": .string(a.trackingId),
                           "url": .string(a.csaf["document"]?["references"]?.arrayValue?.first?["url"]?.stringValue ?? a.trackingId)])
        var common: [String: JSONValue] = [
            "spec_version": "2.1", "created": .string(createdStix), "modified": .string(modified),
            "object_marking_refs": [.string(a.label.tlp.markingDefinitionId)],
        ]
        if a.label.tlp == .red {
            let names = try await Directory(db: db).userNames(ids: Array(a.label.users))
            common["x_clearinghouse_recipients"] = .array(names.map { .string($0) })
        }
        var vulnerability = common
        vulnerability["type"] = "vulnerability"
        vulnerability["id"] = .string(vulnerabilityId)
        vulnerability["name"] = .string(cves.first ?? a.trackingId)
        vulnerability["description"] = .string(a.osv["details"]?.stringValue ?? a.title)
        vulnerability["external_references"] = .array(references)
        var report = common
        report["type"] = "report"
        report["id"] = .string(reportId)
        report["name"] = .string("\(a.trackingId): \(a.title)")
        report["description"] = .string("Advisory \(a.trackingId) version \(a.version) (\(a.status)); OSV \(a.osvId).")
        report["published"] = .string(modified)
        report["report_types"] = ["vulnerability"]
        report["object_refs"] = [.string(vulnerabilityId)]
        report["external_references"] = .array(references)
        return [.object(vulnerability), .object(report)]
    }

    /// A UUID (version 5 layout, RFC 4122 variant) taken from the SHA-256 of `seed`.
    static func derivedUUID(_ seed: String) -> String {
        var hex = Array(Secrets.sha256Hex(seed).prefix(32))
        hex[12] = "5"
        hex[16] = ["8", "9", "a", "b"][Int(String(hex[16]), radix: 16)! % 4]
        let s = String(hex)
        func part(_ from: Int, _ to: Int) -> Substring { s[s.index(s.startIndex, offsetBy: from)..<s.index(s.startIndex, offsetBy: to)] }
        return "\(part(0, 8))-\(part(8, 12))-\(part(12, 16))-\(part(16, 20))-\(part(20, 32))"
    }

    /// STIX timestamps with milliseconds, UTC.
    static func stixTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

// MARK: Wire types

struct PublishAdvisoryInput: APIInput {
    static let fields: Set<String> = ["reason", "title", "summary", "details", "remediation", "references"]
    var reason: String
    var title: String?
    var summary: String?
    var details: String?
    var remediation: String?
    var references: [String]?
}

struct AdvisorySettingsDTO: APIInput, Encodable {
    static let fields: Set<String> = ["publisher_name", "publisher_namespace", "tracking_prefix", "osv_prefix", "feed_collection"]
    var publisher_name: String
    var publisher_namespace: String
    var tracking_prefix: String
    var osv_prefix: String
    var feed_collection: String?

    init(_ s: AdvisorySettings) {
        publisher_name = s.publisherName
        publisher_namespace = s.publisherNamespace
        tracking_prefix = s.trackingPrefix
        osv_prefix = s.osvPrefix
        feed_collection = s.feedCollection
    }
}

struct AdvisoryFeedDTO: Encodable, Sendable {
    var collection: String?
    var status: String?
    var published: Bool
    var note: String?
}

struct AdvisoryVersionDTO: Encodable, Sendable {
    var version: Int
    var status: String
    var published_at: Date
    var publisher: String
    var feed_status: String?
}

struct AdvisoryDTO: Encodable, Sendable {
    var id, osv_id, case_id, title, status, publisher, tlp: String
    var version: Int
    var published_at: Date
    var csaf_url, osv_url: String
    var feed: AdvisoryFeedDTO?
    var versions: [AdvisoryVersionDTO]?

    init(_ a: StoredAdvisory, feed: AdvisoryFeedDTO?) {
        id = a.trackingId
        osv_id = a.osvId
        case_id = a.caseId
        title = a.title
        status = a.status
        publisher = a.publisher
        tlp = a.label.tlp.name
        version = a.version
        published_at = a.publishedAt
        csaf_url = "/api/v1/vulns/advisories/\(a.trackingId)/csaf"
        osv_url = "/api/v1/vulns/advisories/\(a.trackingId)/osv"
        self.feed = feed
    }
}
