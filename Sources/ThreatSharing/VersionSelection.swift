// `match[version]` (TAXII 2.1 section 3.4.2): which versions of each object a request returns.
// Versions are told apart by `modified`, else `created`, else (cyber-observables) `date_added`.
// With no `match[version]` the default is `last`. Values combine as a union.

/// The parsed `match[version]` filter.
public struct VersionFilter: Sendable, Hashable {
    public var first: Bool
    public var last: Bool
    public var all: Bool
    public var timestamps: Set<StixTimestamp>

    public init(first: Bool = false, last: Bool = false, all: Bool = false, timestamps: Set<StixTimestamp> = []) {
        self.first = first
        self.last = last
        self.all = all
        self.timestamps = timestamps
    }

    /// What TAXII applies when the parameter is absent.
    public static let `default` = VersionFilter(last: true)

    /// Parses `last`, `first`, `all`, timestamps, comma-separated and combined.
    public init(parsing value: String) throws(TAXIIRequestError) {
        self.init()
        for raw in value.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingSpaces()
            switch item {
            case "first": first = true
            case "last": last = true
            case "all": all = true
            default:
                do { timestamps.insert(try StixTimestamp(parsing: item)) } catch {
                    throw .invalidParameter(name: "match[version]", value: value,
                                            reason: "'\(item.prefix(40))' is not first, last, all or a timestamp")
                }
            }
        }
    }

    mutating func formUnion(_ other: VersionFilter) {
        first = first || other.first
        last = last || other.last
        all = all || other.all
        timestamps.formUnion(other.timestamps)
    }
}

/// One stored version, as the storage layer reports it for selection.
public struct ObjectVersionRecord: Sendable, Hashable {
    public let id: String
    /// `modified` ?? `created`; nil for objects without either.
    public let versionTimestamp: StixTimestamp?
    public let dateAdded: StixTimestamp

    public init(id: String, versionTimestamp: StixTimestamp?, dateAdded: StixTimestamp) {
        self.id = id
        self.versionTimestamp = versionTimestamp
        self.dateAdded = dateAdded
    }

    /// The value versions are ordered and matched by.
    public var versionKey: StixTimestamp { versionTimestamp ?? dateAdded }
}

public enum VersionSelection {
    /// Keeps the versions `filter` selects, in input order. Each id is treated independently.
    public static func select(_ records: [ObjectVersionRecord], matching filter: VersionFilter) -> [ObjectVersionRecord] {
        select(records, matching: filter, id: \.id, version: \.versionKey)
    }

    /// The same over any record type, for storage rows that carry more than the three fields.
    public static func select<Record>(_ records: [Record], matching filter: VersionFilter,
                                      id: (Record) -> String, version: (Record) -> StixTimestamp) -> [Record] {
        if filter.all { return records }
        var bounds: [String: (first: StixTimestamp, last: StixTimestamp)] = [:]
        if filter.first || filter.last {
            for r in records {
                let v = version(r)
                if let b = bounds[id(r)] {
                    bounds[id(r)] = (min(b.first, v), max(b.last, v))
                } else {
                    bounds[id(r)] = (v, v)
                }
            }
        }
        return records.filter { r in
            let v = version(r)
            if filter.timestamps.contains(v) { return true }
            guard let b = bounds[id(r)] else { return false }
            return (filter.first && v == b.first) || (filter.last && v == b.last)
        }
    }
}
