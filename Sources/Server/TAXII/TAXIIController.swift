// TAXII 2.1 under /taxii2/: discovery, API roots, collections, objects, manifest, versions and
// status (OASIS TAXII 2.1 sections 4–5). Handlers negotiate the media type, authenticate, parse
// the query with the ThreatSharing core, compute the requester's rights on the collection from
// its grants, and let the store page in SQL; every failure becomes a TAXII error resource
// (see TAXIIErrorMiddleware).
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform
import ThreatSharing

struct TAXIIController {
    let services: AppServices
    var store: ThreatSharingStore { ThreatSharingStore(db: services.db) }
    let limits = TAXIIPageLimits(defaultLimit: 100, maximumLimit: 1000)

    static let dateAddedFirst = HTTPField.Name("X-TAXII-Date-Added-First")!
    static let dateAddedLast = HTTPField.Name("X-TAXII-Date-Added-Last")!

    func register(on router: Router<AppContext>) {
        let g = router.group("taxii2")
        g.get("", use: discovery)
        g.get(":api_root", use: apiRoot)
        g.get(":api_root/collections", use: collections)
        g.get(":api_root/collections/:id", use: collection)
        g.get(":api_root/collections/:id/objects", use: getObjects)
        g.post(":api_root/collections/:id/objects", use: addObjects)
        g.get(":api_root/collections/:id/objects/:object_id", use: getObject)
        g.delete(":api_root/collections/:id/objects/:object_id", use: deleteObject)
        g.get(":api_root/collections/:id/objects/:object_id/versions", use: versions)
        g.get(":api_root/collections/:id/manifest", use: manifest)
        g.get(":api_root/status/:status_id", use: status)
        IntelPages(services: services).register(on: router)
    }

    // MARK: Helpers

    func negotiate(_ request: Request, _ kind: TAXIIEndpointKind) throws -> TAXIIMediaType {
        try TAXIINegotiation.responseType(accept: request.headers[.accept], for: kind).get()
    }

    /// Query items in request order with names and values percent-decoded: clients send
    /// `match%5Btype%5D`, and the router's parameter map leaves names encoded.
    func queryItems(_ request: Request) -> [(name: String, value: String)] {
        guard let query = request.uri.query, !query.isEmpty else { return [] }
        func decode(_ part: Substring) -> String {
            let spaced = part.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            guard let eq = item.firstIndex(of: "=") else { return (decode(item), "") }
            return (decode(item[..<eq]), decode(item[item.index(after: eq)...]))
        }
    }

    func root(_ context: AppContext) async throws -> TAXIIAPIRoot {
        let name = try context.parameters.require("api_root")
        guard let root = try await store.apiRoot(named: name) else { throw TAXIIFailure.notFound("API root") }
        return root
    }

    func readableCollection(_ context: AppContext, reader: Reader) async throws -> (TAXIICollection, CollectionAccess) {
        let root = try await root(context)
        let id = try context.parameters.require("id")
        guard let found = try await store.collection(id: id, apiRoot: root.name, for: reader) else { throw TAXIIFailure.notFound("collection") }
        guard found.1.canRead else { throw TAXIIFailure.forbidden("you may not read this collection") }
        return found
    }

    func respond(_ body: JSONValue, type: TAXIIMediaType = .taxii, status: HTTPResponse.Status = .ok,
                 headers extra: HTTPFields = [:]) -> Response {
        respond(bytes: Data(StixJSONWriter.bytes(body)), type: type, status: status, headers: extra)
    }

    func respond(bytes: Data, type: TAXIIMediaType, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: type.headerValue]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func pageHeaders<Row>(_ page: TAXIIPage<Row>) -> HTTPFields {
        var headers = HTTPFields()
        if let first = page.dateAddedFirst { headers[Self.dateAddedFirst] = first.format(.microsecond) }
        if let last = page.dateAddedLast { headers[Self.dateAddedLast] = last.format(.microsecond) }
        return headers
    }

    func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "\(services.configuration.host):\(services.configuration.port)"
        let scheme = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https" || services.configuration.secureCookies ? "https" : "http"
        return "\(scheme)://\(host)"
    }

    // MARK: Discovery and API roots

    @Sendable func discovery(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        _ = try context.requireReader()
        let roots = try await store.apiRoots()
        let base = baseURL(request)
        var body: [String: JSONValue] = [
            "title": "Clearinghouse TAXII 2.1",
            "description": "Threat intelligence shared among participants of the EO 14409 framework, under TLP 2.0.",
            "api_roots": .array(roots.map { .string("\(base)/taxii2/\($0.name)/") }),
        ]
        if roots.contains(where: { $0.name == ThreatSharingSchema.defaultAPIRoot }) {
            body["default"] = .string("\(base)/taxii2/\(ThreatSharingSchema.defaultAPIRoot)/")
        }
        return respond(.object(body))
    }

    @Sendable func apiRoot(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        _ = try context.requireReader()
        let root = try await root(context)
        return respond([
            "title": .string(root.title), "description": .string(root.description),
            "versions": [.string(TAXIIMediaType.taxii.headerValue)], "max_content_length": .int(root.maxContentLength),
        ])
    }

    // MARK: Collections

    func collectionResource(_ collection: TAXIICollection, _ access: CollectionAccess) -> JSONValue {
        [
            "id": .string(collection.id), "title": .string(collection.title), "description": .string(collection.description),
            "can_read": .bool(access.canRead), "can_write": .bool(access.canWrite),
            "media_types": [.string(TAXIIMediaType.stix.headerValue)],
        ]
    }

    @Sendable func collections(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let root = try await root(context)
        let list = try await store.collections(apiRoot: root.name, for: reader)
        return respond(["collections": .array(list.map(collectionResource))])
    }

    @Sendable func collection(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let root = try await root(context)
        let id = try context.parameters.require("id")
        guard let (collection, access) = try await store.collection(id: id, apiRoot: root.name, for: reader) else {
            throw TAXIIFailure.notFound("collection")
        }
        return respond(collectionResource(collection, access))
    }

    // MARK: Objects

    /// The envelope is assembled from the stored canonical bytes, never re-encoded object by object.
    func envelope(_ page: TAXIIPage<StoredObject>) -> Data {
        var out = Data(#"{"more":"#.utf8)
        out.append(contentsOf: Data((page.more ? "true" : "false").utf8))
        if let next = page.next { out.append(contentsOf: Data(#","next":""#.utf8) + Data(next.token.utf8) + Data("\"".utf8)) }
        out.append(contentsOf: Data(#","objects":["#.utf8))
        for (i, row) in page.rows.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: Data(row.body.utf8))
        }
        out.append(contentsOf: Data("]}".utf8))
        return out
    }

    @Sendable func getObjects(_ request: Request, context: AppContext) async throws -> Response {
        let type = try negotiate(request, .objects)
        let reader = try context.requireReader()
        let query = try TAXIIQuery.parse(queryItems(request), endpoint: .objects, limits: limits)
        let (collection, access) = try await readableCollection(context, reader: reader)
        let page = try await store.page(collectionId: collection.id, access: access, request: ObjectPageRequest(query: query))
        return respond(bytes: envelope(page), type: type, headers: pageHeaders(page))
    }

    @Sendable func getObject(_ request: Request, context: AppContext) async throws -> Response {
        let type = try negotiate(request, .objects)
        let reader = try context.requireReader()
        let objectId = try objectIdParameter(context)
        let query = try TAXIIQuery.parse(queryItems(request), endpoint: .object, limits: limits)
        let (collection, access) = try await readableCollection(context, reader: reader)
        let page = try await store.page(collectionId: collection.id, access: access,
                                        request: ObjectPageRequest(query: query, objectId: objectId))
        if page.rows.isEmpty, query.next == nil { throw TAXIIFailure.notFound("object") }
        return respond(bytes: envelope(page), type: type, headers: pageHeaders(page))
    }

    func objectIdParameter(_ context: AppContext) throws -> String {
        let id = try context.parameters.require("object_id")
        guard StixIdentifier(id) != nil else { throw TAXIIFailure.notFound("object") }
        return id
    }

    @Sendable func addObjects(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        _ = try TAXIINegotiation.requestType(contentType: request.headers[.contentType], for: .objects).get()
        let reader = try context.requireReader()
        let root = try await root(context)
        let id = try context.parameters.require("id")
        guard let (collection, access) = try await store.collection(id: id, apiRoot: root.name, for: reader) else {
            throw TAXIIFailure.notFound("collection")
        }
        guard access.canWrite else { throw TAXIIFailure.forbidden("you may not add objects to this collection") }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > root.maxContentLength {
            throw HTTPError(.contentTooLarge)
        }
        var buffer = try await request.body.collect(upTo: root.maxContentLength)
        let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        let body: StixIngestBody
        do { body = try StixIngest.readBody(data) } catch { throw TAXIIRequestError.invalidBody(error) }
        let status = try await store.add(body.objects, to: collection, requester: context.actor, actor: context.actor,
                                         at: services.clock.now())
        return statusResponse(status, code: .accepted)
    }

    @Sendable func deleteObject(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let objectId = try objectIdParameter(context)
        let items = queryItems(request)
        let query = try TAXIIQuery.parse(items, endpoint: .deleteObject, limits: limits)
        let (collection, access) = try await readableCollection(context, reader: reader)
        guard access.canWrite else { throw TAXIIFailure.forbidden("you may not delete objects from this collection") }
        // Without match[version] TAXII deletes every version.
        let version = items.contains { $0.name == "match[version]" } ? query.version : VersionFilter(all: true)
        let deleted = try await store.delete(objectId: objectId, collection: collection, access: access, version: version,
                                             specVersions: query.specVersions, actor: context.actor, at: services.clock.now())
        guard deleted > 0 else { throw TAXIIFailure.notFound("object") }
        return Response(status: .ok)
    }

    @Sendable func versions(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let objectId = try objectIdParameter(context)
        var query = try TAXIIQuery.parse(queryItems(request), endpoint: .versions, limits: limits)
        query.version = VersionFilter(all: true)
        let (collection, access) = try await readableCollection(context, reader: reader)
        let page = try await store.page(collectionId: collection.id, access: access,
                                        request: ObjectPageRequest(query: query, objectId: objectId))
        if page.rows.isEmpty, query.next == nil { throw TAXIIFailure.notFound("object") }
        var body: [String: JSONValue] = [
            "more": .bool(page.more), "versions": .array(page.rows.map { .string($0.version.format(.millisecond)) }),
        ]
        if let next = page.next { body["next"] = .string(next.token) }
        return respond(.object(body), headers: pageHeaders(page))
    }

    @Sendable func manifest(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let query = try TAXIIQuery.parse(queryItems(request), endpoint: .manifest, limits: limits)
        let (collection, access) = try await readableCollection(context, reader: reader)
        let page = try await store.page(collectionId: collection.id, access: access, request: ObjectPageRequest(query: query))
        var body: [String: JSONValue] = [
            "more": .bool(page.more),
            "objects": .array(page.rows.map {
                ["id": .string($0.objectId), "date_added": .string($0.dateAdded.format(.microsecond)),
                 "version": .string($0.version.format(.millisecond)), "media_type": .string(TAXIIMediaType.stix.headerValue)]
            }),
        ]
        if let next = page.next { body["next"] = .string(next.token) }
        return respond(.object(body), headers: pageHeaders(page))
    }

    // MARK: Status

    /// The status resource's members other than its lists of details, and how it is written: in
    /// StixJSONWriter's sorted member order, in three pieces around the failures and the successes,
    /// so a fresh status is written at once and a stored one a part at a time with the same bytes.
    struct StatusLayout {
        var id, status: String
        var requestTimestamp: StixTimestamp
        var totalCount, successCount, failureCount, pendingCount: Int
        var pendings: [TAXIIStatus.Detail] = []

        /// `{"failure_count":N,"failures":[`
        func opening(into out: inout [UInt8]) {
            out += Array(#"{"failure_count":"#.utf8)
            StixJSONWriter.write(.int(failureCount), into: &out)
            out += Array(#","failures":["#.utf8)
        }

        /// `],"id":…` up to `"successes":[`
        func middle(into out: inout [UInt8]) {
            out += Array(#"],"id":"#.utf8)
            StixJSONWriter.writeString(id, into: &out)
            out += Array(#","pending_count":"#.utf8)
            StixJSONWriter.write(.int(pendingCount), into: &out)
            out += Array(#","pendings":["#.utf8)
            var first = true
            Self.append(pendings, first: &first, into: &out)
            out += Array(#"],"request_timestamp":"#.utf8)
            StixJSONWriter.writeString(requestTimestamp.format(.microsecond), into: &out)
            out += Array(#","status":"#.utf8)
            StixJSONWriter.writeString(status, into: &out)
            out += Array(#","success_count":"#.utf8)
            StixJSONWriter.write(.int(successCount), into: &out)
            out += Array(#","successes":["#.utf8)
        }

        /// `],"total_count":N}`
        func closing(into out: inout [UInt8]) {
            out += Array(#"],"total_count":"#.utf8)
            StixJSONWriter.write(.int(totalCount), into: &out)
            out.append(UInt8(ascii: "}"))
        }

        /// Details as list members, a comma before each but the list's first.
        static func append(_ details: [TAXIIStatus.Detail], first: inout Bool, into out: inout [UInt8]) {
            for d in details {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                var o: [String: JSONValue] = ["id": .string(d.objectId), "version": .string(d.version)]
                if let message = d.message { o["message"] = .string(message) }
                StixJSONWriter.write(.object(o), into: &out)
            }
        }
    }

    /// A status resource held in memory (a POST's, or one stored before migration 310).
    func statusResponse(_ status: TAXIIStatus, code: HTTPResponse.Status = .ok) -> Response {
        let layout = StatusLayout(id: status.id, status: status.status, requestTimestamp: status.requestTimestamp,
                                  totalCount: status.totalCount, successCount: status.successCount,
                                  failureCount: status.failures.count, pendingCount: status.pendingCount, pendings: status.pendings)
        var out: [UInt8] = []
        var first = true
        layout.opening(into: &out)
        StatusLayout.append(status.failures, first: &first, into: &out)
        layout.middle(into: &out)
        first = true
        StatusLayout.append(status.successes, first: &first, into: &out)
        layout.closing(into: &out)
        return respond(bytes: Data(out), type: .taxii, status: code)
    }

    @Sendable func status(_ request: Request, context: AppContext) async throws -> Response {
        _ = try negotiate(request, .taxiiResource)
        let reader = try context.requireReader()
        let root = try await root(context)
        let id = try context.parameters.require("status_id")
        if let summary = try await store.statusSummary(id: id, apiRoot: root.name, for: reader) {
            return streamedStatus(summary)
        }
        guard let status = try await store.status(id: id, apiRoot: root.name, for: reader) else { throw TAXIIFailure.notFound("status") }
        return statusResponse(status)
    }

    /// A stored status resource written out a part at a time, with the bytes `statusResponse`
    /// writes, but a million-object import's status is never held whole in memory (it took about
    /// 800 MB to build at a million). A failure to read a part after the head went out ends the
    /// response short, which the client sees as a broken body.
    func streamedStatus(_ summary: TAXIIStatusSummary) -> Response {
        let store = self.store
        let layout = StatusLayout(id: summary.id, status: summary.status, requestTimestamp: summary.requestTimestamp,
                                  totalCount: summary.totalCount, successCount: summary.successCount,
                                  failureCount: summary.failureCount, pendingCount: summary.pendingCount)
        let body = ResponseBody { writer in
            var out: [UInt8] = []
            out.reserveCapacity(1 << 17)
            layout.opening(into: &out)
            for failures in [true, false] {
                if !failures { layout.middle(into: &out) }
                var first = true
                for part in summary.parts {
                    StatusLayout.append(try await store.statusPart(id: summary.id, part: part, failures: failures), first: &first, into: &out)
                    if out.count >= 1 << 16 {
                        try await writer.write(ByteBuffer(bytes: out))
                        out.removeAll(keepingCapacity: true)
                    }
                }
            }
            layout.closing(into: &out)
            try await writer.write(ByteBuffer(bytes: out))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: TAXIIMediaType.taxii.headerValue], body: body)
    }
}
