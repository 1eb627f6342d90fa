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
