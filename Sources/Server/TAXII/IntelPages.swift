// Web pages for threat sharing: the collections a signed-in reader has a grant on, with the
// number of object versions visible to them; an object browser with filters and keyset pages;
// and an object page with its versions and relationships. Everything goes through the same
// store and TLP rule as TAXII, so a page never shows what the reader's TAXII client would not get.
import Foundation
import Hummingbird
import HTTPTypes
import Platform
import ThreatSharing

struct IntelPages {
    let services: AppServices
    var store: ThreatSharingStore { ThreatSharingStore(db: services.db) }
    var web: WebController { WebController(services: services) }

    func register(on router: Router<AppContext>) {
        router.get("/intel", use: collections)
        router.get("/intel/collections/:id", use: browse)
        router.get("/intel/collections/:id/objects/:object_id", use: object)
    }

    func levelText(_ access: CollectionAccess) -> String {
        if access.readsEverything { return "everything (administrator)" }
        guard let level = access.readLevel else { return "nothing (write only)" }
        return "up to \(level.label), and TLP:RED addressed to you"
    }

    @Sendable func collections(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        var rows: [[String: Any]] = []
        for root in try await store.apiRoots() {
            for (collection, access) in try await store.collections(apiRoot: root.name, for: reader) {
                rows.append([
                    "id": collection.id, "title": collection.title, "description": collection.description, "root": root.name,
                    "count": try await store.count(collectionId: collection.id, access: access), "receives": levelText(access),
                    "write": access.canWrite ? "yes" : "no", "defaultTLP": collection.defaultTLP.label,
                ])
            }
        }
        let chrome = try await web.chrome("Threat sharing", nav: "intel", context: context)
        return services.pages.render("intel-collections", ["collections": rows, "count": rows.count, "hasAny": !rows.isEmpty], chrome: chrome)
    }

    func visibleCollection(_ context: AppContext, reader: Reader) async throws -> (TAXIICollection, CollectionAccess) {
        let id = try context.parameters.require("id")
        guard let found = try await store.collection(id: id, for: reader), found.1.canRead else { throw DomainError.notFound("collection") }
        return found
    }

    @Sendable func browse(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let (collection, access) = try await visibleCollection(context, reader: reader)
        let params = request.uri.queryParameters
        let type = params.get("type").map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let objectId = params.get("object").map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        var query = TAXIIQuery(limit: 50)
        if !type.isEmpty {
            guard StixTypes.isValidTypeName(type) else { throw DomainError.invalid(field: "type", reason: "not a STIX type name") }
            query.types = [type]
        }
        if !objectId.isEmpty {
            guard StixIdentifier(objectId) != nil else { throw DomainError.invalid(field: "object", reason: "not a STIX identifier") }
            query.ids = [objectId]
        }
        if let after = params.get("after") {
            do { query.next = try PageCursor(token: after) } catch { throw DomainError.invalid(field: "after", reason: error.description) }
        }
        let page = try await store.page(collectionId: collection.id, access: access, request: ObjectPageRequest(query: query))
        let rows: [[String: Any]] = page.rows.map { row in
            let object = try? JSONValue.parse(Data(row.body.utf8))
            return [
                "id": row.objectId, "type": row.type, "name": object?["name"]?.stringValue ?? "—", "tlp": row.tlp.label,
                "version": row.version.format(.millisecond), "added": Date(microsecondsSinceEpoch: row.dateAdded.microseconds).utcDisplay,
                "href": "/intel/collections/\(collection.id)/objects/\(row.objectId)",
            ]
        }
        var base = "/intel/collections/\(collection.id)?"
        if !type.isEmpty { base += "type=\(type)&" }
        if !objectId.isEmpty { base += "object=\(objectId)&" }
        let chrome = try await web.chrome(collection.title, nav: "intel", context: context)
        let model: [String: Any] = [
            "collection": ["id": collection.id, "title": collection.title, "description": collection.description],
            "objects": rows, "count": rows.count, "type": type, "object": objectId, "receives": levelText(access),
            "pager": page.next.map { ["next": base + "after=\($0.token)"] } as Any,
        ]
        return services.pages.render("intel-objects", model, chrome: chrome)
    }

    @Sendable func object(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try web.signedIn(request, context) else { return web.redirectToLogin(request) }
        let (collection, access) = try await visibleCollection(context, reader: reader)
        let objectId = try context.parameters.require("object_id")
        guard StixIdentifier(objectId) != nil else { throw DomainError.notFound("object") }
        let page = try await store.page(collectionId: collection.id, access: access,
                                        request: ObjectPageRequest(query: TAXIIQuery(limit: 200, version: VersionFilter(all: true)), objectId: objectId))
        guard let latest = page.rows.max(by: { $0.version < $1.version }) else { throw DomainError.notFound("object") }
        let object = try JSONValue.parse(Data(latest.body.utf8))
        let pretty = (try? JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(latest.body.utf8)),
                                                   options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? latest.body
        let relationships = try await store.relationships(of: objectId, collectionId: collection.id, access: access).map { r -> [String: Any] in
            let source = r["source_ref"]?.stringValue ?? "", target = r["target_ref"]?.stringValue ?? ""
            let other = source == objectId ? target : source
            return ["type": r["relationship_type"]?.stringValue ?? "related-to", "direction": source == objectId ? "to" : "from",
                    "other": other, "href": "/intel/collections/\(collection.id)/objects/\(other)"]
        }
        let chrome = try await web.chrome(object["name"]?.stringValue ?? objectId, nav: "intel", context: context)
        let model: [String: Any] = [
            "collection": ["id": collection.id, "title": collection.title], "id": objectId, "type": latest.type,
            "name": object["name"]?.stringValue ?? objectId, "tlp": latest.tlp.label, "json": pretty,
            "versions": page.rows.map { ["version": $0.version.format(.millisecond), "tlp": $0.tlp.label,
                                         "added": Date(microsecondsSinceEpoch: $0.dateAdded.microseconds).utcDisplay] },
            "relationships": relationships, "relationshipCount": relationships.count,
        ]
        return services.pages.render("intel-object", model, chrome: chrome)
    }
}
