// Reading a POSTed body: a STIX bundle (what `stix2`'s TAXIICollectionSink sends) or a TAXII
// envelope (what TAXII 2.1 specifies), turned into a list of objects validated one by one so a
// bad object fails alone and the status resource can report each.
import Foundation
import Platform

/// The objects of an ingest body, with the body's shape.
public struct StixIngestBody: Sendable {
    public enum Shape: Sendable, Hashable {
        case bundle(id: String?)
        case envelope
    }

    public let shape: Shape
    public let objects: [JSONValue]
}

/// One object's fate: its position in the body, the object itself (for storage) and the verdict.
public struct StixObjectOutcome: Sendable {
    public let index: Int
    public let object: JSONValue
    public let result: Result<StixObjectSummary, StixViolation>

    /// The id to report in the status resource even when validation failed.
    public var reportedId: String? {
        switch result {
        case .success(let summary): summary.id
        case .failure(let violation): violation.objectId
        }
    }
}

/// Whole-body problems: the request as a whole is refused (TAXII answers 400 or 422).
public enum StixBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformedJSON(String)
    case notAnObject(found: String)
    case missingObjects
    case objectsNotAnArray(found: String)
    case notABundle(type: String)
    case malformedBundleId(String)

    /// The JSON path of the offending part of the body.
    public var path: String {
        switch self {
        case .malformedJSON, .notAnObject, .missingObjects: "$"
        case .objectsNotAnArray: "$.objects"
        case .notABundle: "$.type"
        case .malformedBundleId: "$.id"
        }
    }

    public var description: String {
        switch self {
        case .malformedJSON(let reason): "\(path): \(reason)"
        case .notAnObject(let found): "\(path): the body must be a JSON object (a TAXII envelope or STIX bundle), found \(found)"
        case .missingObjects: "\(path): the body has no 'objects' list"
        case .objectsNotAnArray(let found): "\(path): 'objects' must be an array, found \(found)"
        case .notABundle(let type): "\(path): a body with a 'type' must be a bundle, found '\(type.prefix(80))'"
        case .malformedBundleId(let id): "\(path): '\(id.prefix(120))' is not a bundle identifier"
        }
    }
}

public enum StixIngest {
    /// Parses and unwraps a body. Objects are not validated yet: see `validate`.
    public static func readBody(_ data: Data) throws(StixBodyError) -> StixIngestBody {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch { throw .malformedJSON(error.description) }
        return try readBody(value)
    }

    public static func readBody(_ value: JSONValue) throws(StixBodyError) -> StixIngestBody {
        guard case .object(let members) = value else { throw .notAnObject(found: value.kindName) }
        var shape = StixIngestBody.Shape.envelope
        if let type = members["type"] {
            guard type.stringValue == "bundle" else {
                throw .notABundle(type: type.stringValue ?? type.kindName)
            }
            var bundleId: String?
            if let id = members["id"] {
                guard let text = id.stringValue, StixIdentifier(text)?.type == "bundle" else {
                    throw .malformedBundleId(id.stringValue ?? id.kindName)
                }
                bundleId = text
            }
            shape = .bundle(id: bundleId)
        }
        guard let objects = members["objects"] else {
            // A bundle may legitimately be empty and omit `objects`; an envelope must carry them.
            if case .bundle = shape { return StixIngestBody(shape: shape, objects: []) }
            throw .missingObjects
        }
        guard case .array(let list) = objects else { throw .objectsNotAnArray(found: objects.kindName) }
        return StixIngestBody(shape: shape, objects: list)
    }

    /// Validates every object; paths read `$.objects[i]…`.
    public static func validate(_ body: StixIngestBody, with validator: StixValidator = StixValidator()) -> [StixObjectOutcome] {
        body.objects.enumerated().map { index, object in
            StixObjectOutcome(index: index, object: object, result: validator.validate(object, path: "$.objects[\(index)]"))
        }
    }
}

// MARK: Large files

/// A body whose objects are located but not yet parsed, so `intel import` of a million-object
/// bundle holds one chunk of parsed objects at a time instead of the whole tree.
public struct StixLazyBody: Sendable {
    public let shape: StixIngestBody.Shape
    /// The whole body; `ranges` index into it.
    public let data: Data
    /// Byte ranges of the elements of `objects`, in order.
    public let ranges: [Range<Int>]

    public var count: Int { ranges.count }

    /// Parses the objects at `positions`. An element that is not well-formed JSON on its own
    /// fails the whole body, exactly as `StixIngest.readBody` would.
    public func objects(_ positions: Range<Int>) throws(StixBodyError) -> [JSONValue] {
        var out: [JSONValue] = []
        out.reserveCapacity(positions.count)
        for p in positions {
            let r = ranges[p]
            do { out.append(try JSONValue.parse(data.subdata(in: (data.startIndex + r.lowerBound)..<(data.startIndex + r.upperBound)))) } catch {
                throw .malformedJSON("$.objects[\(p)]: \(error.description)")
            }
        }
        return out
    }
}

extension StixIngest {
    /// Splits a body into its wrapper and the byte ranges of its objects without building them.
    /// The wrapper's own members are parsed strictly (duplicate names refused) and checked like
    /// `readBody`; each object is parsed strictly when asked for (`StixLazyBody.objects`).
    public static func locateObjects(_ data: Data) throws(StixBodyError) -> StixLazyBody {
        let found: Result<(members: [String: JSONValue], ranges: [Range<Int>]?), StixBodyError> = data.withUnsafeBytes { raw in
            var scanner = BodyScanner(bytes: raw.bindMemory(to: UInt8.self))
            return Result { () throws(StixBodyError) in try scanner.scan() }
        }
        let (members, ranges) = try found.get()
        var wrapper = members
        if ranges != nil { wrapper["objects"] = .array([]) }
        let shape = try readBody(.object(wrapper)).shape
        return StixLazyBody(shape: shape, data: data, ranges: ranges ?? [])
    }
}

/// Walks the top level of a body: members other than `objects` are parsed, the elements of
/// `objects` are skipped over (strings and nesting respected) and their ranges recorded.
struct BodyScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    func fail(_ what: String) -> StixBodyError { .malformedJSON("malformed JSON: \(what) at byte \(i)") }

    mutating func space() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    func parse(_ range: Range<Int>) throws(StixBodyError) -> JSONValue {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        do { return try JSONValue.parse(Data(buffer: slice)) } catch {
            throw .malformedJSON("\(error.description) (in the value at byte \(range.lowerBound))")
        }
    }

    mutating func scan() throws(StixBodyError) -> (members: [String: JSONValue], ranges: [Range<Int>]?) {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        space()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else {
            // Not an object: let the strict parser name what it is.
            let whole = try parse(i..<bytes.count)
            throw .notAnObject(found: whole.kindName)
        }
        i += 1
        var members: [String: JSONValue] = [:]
        var ranges: [Range<Int>]?
        space()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1 } else {
            while true {
                space()
                let keyStart = i
                try skip(depth: 1)
                guard case .string(let key) = try parse(keyStart..<i) else { throw fail("expected a member name") }
                guard members[key] == nil, !(key == "objects" && ranges != nil) else { throw fail("duplicate member name '\(key.prefix(60))'") }
                space()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                space()
                if key == "objects", i < bytes.count, bytes[i] == UInt8(ascii: "[") {
                    ranges = try elements()
                } else {
                    let start = i
                    try skip(depth: 1)
                    members[key] = try parse(start..<i)
                }
                space()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}'")
            }
        }
        space()
        guard i == bytes.count else { throw fail("unexpected data after the JSON value") }
        return (members, ranges)
    }

    mutating func elements() throws(StixBodyError) -> [Range<Int>] {
        i += 1
        var out: [Range<Int>] = []
        space()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return out }
        while true {
            space()
            let start = i
            try skip(depth: 2)
            out.append(start..<i)
            space()
            guard i < bytes.count else { throw fail("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return out }
            throw fail("expected ',' or ']'")
        }
    }

    /// Moves past one value; its well-formedness is checked when it is parsed.
    mutating func skip(depth: Int) throws(StixBodyError) {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            i += 1
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\\") { i += 2; continue }
                i += 1
                if c == UInt8(ascii: "\"") { return }
            }
            throw fail("unterminated string")
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var level = 0
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { try skip(depth: depth); continue }
                i += 1
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    level += 1
                    guard depth + level <= 101 else { throw fail("nesting deeper than 100") }
                } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    level -= 1
                    if level == 0 { return }
                }
            }
            throw fail("unterminated value")
        default:
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x0A
                    || c == 0x0D || c == 0x09 { return }
                i += 1
            }
        }
    }
}
