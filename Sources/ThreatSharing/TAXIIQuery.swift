// TAXII 2.1 query parameters (section 3.4): parsed and checked once, so storage receives typed
// filters and every bad value becomes a 400 TAXII error naming the parameter.

/// Which filters an endpoint accepts (TAXII 2.1 sections 5.3–5.8).
public enum TAXIIQueryEndpoint: Sendable, Hashable {
    case objects, manifest, object, deleteObject, versions

    var allowed: Set<String> {
        switch self {
        case .objects, .manifest:
            ["added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"]
        case .object:
            ["added_after", "limit", "next", "match[version]", "match[spec_version]"]
        case .deleteObject:
            ["match[version]", "match[spec_version]"]
        case .versions:
            ["added_after", "limit", "next", "match[spec_version]"]
        }
    }
}

/// Server-side bounds on `limit`.
public struct TAXIIPageLimits: Sendable, Hashable {
    public var defaultLimit: Int
    public var maximumLimit: Int

    public init(defaultLimit: Int = 100, maximumLimit: Int = 1000) {
        self.defaultLimit = max(1, min(defaultLimit, maximumLimit))
        self.maximumLimit = max(1, maximumLimit)
    }
}

/// A validated TAXII query.
public struct TAXIIQuery: Sendable, Hashable {
    public var addedAfter: StixTimestamp?
    /// The page size to use: the client's `limit` clamped to the server maximum, else the default.
    public var limit: Int
    public var next: PageCursor?
    /// Empty means no filter.
    public var ids: [String]
    public var types: [String]
    public var version: VersionFilter
    /// Empty means "latest spec version of each object" (TAXII's default).
    public var specVersions: [String]

    public init(addedAfter: StixTimestamp? = nil, limit: Int, next: PageCursor? = nil, ids: [String] = [],
                types: [String] = [], version: VersionFilter = .default, specVersions: [String] = []) {
        self.addedAfter = addedAfter
        self.limit = limit
        self.next = next
        self.ids = ids
        self.types = types
        self.version = version
        self.specVersions = specVersions
    }

    /// Parses already percent-decoded query items in request order. Parameters that are not
    /// TAXII's (e.g. a cache buster) are ignored; `match[...]` fields this endpoint does not
    /// support are refused, since silently ignoring a filter would return what was not asked for.
    public static func parse(_ items: [(name: String, value: String)], endpoint: TAXIIQueryEndpoint,
                             limits: TAXIIPageLimits = TAXIIPageLimits()) throws(TAXIIRequestError) -> TAXIIQuery {
        var query = TAXIIQuery(limit: limits.defaultLimit)
        var seenSingle = Set<String>()
        var versionFilter: VersionFilter?
        for (name, value) in items {
            let isTAXII = ["added_after", "limit", "next"].contains(name) || name.hasPrefix("match[")
            guard isTAXII else { continue }
            guard endpoint.allowed.contains(name) else { throw .unsupportedParameter(name: name) }
            switch name {
            case "added_after", "limit", "next":
                guard seenSingle.insert(name).inserted else { throw .repeatedParameter(name: name) }
            default:
                break
            }
            switch name {
            case "added_after":
                do { query.addedAfter = try StixTimestamp(parsing: value) } catch {
                    throw .invalidParameter(name: name, value: value, reason: "expected a timestamp like 2024-01-31T12:00:00.000Z")
                }
            case "limit":
                query.limit = try parseLimit(value, limits: limits)
            case "next":
                do { query.next = try PageCursor(token: value) } catch { throw .invalidCursor(reason: error.description) }
            case "match[id]":
                for item in try list(name, value) {
                    guard StixIdentifier(item) != nil else {
                        throw .invalidParameter(name: name, value: value, reason: "'\(item.prefix(80))' is not a STIX identifier")
                    }
                    if !query.ids.contains(item) { query.ids.append(item) }
                }
            case "match[type]":
                for item in try list(name, value) {
                    guard StixTypes.isValidTypeName(item) else {
                        throw .invalidParameter(name: name, value: value, reason: "'\(item.prefix(80))' is not a STIX type name")
                    }
                    if !query.types.contains(item) { query.types.append(item) }
                }
            case "match[version]":
                let parsed = try VersionFilter(parsing: value)
                if versionFilter == nil { versionFilter = parsed } else { versionFilter?.formUnion(parsed) }
            case "match[spec_version]":
                for item in try list(name, value) {
                    guard isSpecVersion(item) else {
                        throw .invalidParameter(name: name, value: value, reason: "'\(item.prefix(20))' is not a version like 2.1")
                    }
                    if !query.specVersions.contains(item) { query.specVersions.append(item) }
                }
            default:
                throw .unsupportedParameter(name: name)
            }
        }
        query.version = versionFilter ?? .default
        return query
    }

    /// A positive integer; values above the maximum (even absurdly long ones) are clamped.
    static func parseLimit(_ value: String, limits: TAXIIPageLimits) throws(TAXIIRequestError) -> Int {
        let digits = value.trimmingSpaces()
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw .invalidParameter(name: "limit", value: value, reason: "expected a positive integer")
        }
        let significant = digits.drop(while: { $0 == "0" })
        guard !significant.isEmpty else {
            throw .invalidParameter(name: "limit", value: value, reason: "must be at least 1")
        }
        guard significant.count <= 18, let n = Int(significant) else { return limits.maximumLimit }
        return min(n, limits.maximumLimit)
    }

    static func list(_ name: String, _ value: String) throws(TAXIIRequestError) -> [String] {
        let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard !items.contains(where: \.isEmpty) else {
            throw .invalidParameter(name: name, value: value, reason: "empty item in the comma-separated list")
        }
        return items
    }

    static func isSpecVersion(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
    }
}

/// Cutting a page from rows the storage fetched in (date_added, sequence) order, already
/// filtered to what the reader may see. Fetch `limit + 1` rows: the extra one only tells
/// whether there is more, so `limit` never counts what the reader cannot see.
public struct TAXIIPage<Row: Sendable>: Sendable {
    public let rows: [Row]
    public let more: Bool
    /// Cursor to send as `next` when `more`; the position of the last row returned.
    public let next: PageCursor?
    /// For `X-TAXII-Date-Added-First` / `-Last` (format with `.microsecond`).
    public let dateAddedFirst: StixTimestamp?
    public let dateAddedLast: StixTimestamp?

    public init(fetched: [Row], limit: Int, position: (Row) -> PageCursor) {
        let pageSize = max(1, limit)
        let page = Array(fetched.prefix(pageSize))
        rows = page
        more = fetched.count > pageSize
        let lastPosition = page.last.map(position)
        next = more ? lastPosition : nil
        dateAddedFirst = page.first.map(position)?.dateAdded
        dateAddedLast = lastPosition?.dateAdded
    }
}
