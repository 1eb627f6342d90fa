// The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json. Each area of the
// product describes its own routes in a fragment under `OpenAPI/` (`platform.json` carries the
// document's header); they are merged once at start, and a path or schema defined twice is refused.
// CI validates the result with openapi-spec-validator and fuzzes the API from it.
import Foundation

enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        do {
            return Array(try merged())
        } catch {
            return Array(#"{"error":"the OpenAPI fragments could not be merged"}"#.utf8)
        }
    }()

    static func merged() throws -> Data {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("OpenAPI") else {
            throw OpenAPIError.missing("the OpenAPI resource folder")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        guard files.contains("platform.json") else { throw OpenAPIError.missing("OpenAPI/platform.json") }
        func load(_ name: String) throws -> [String: Any] {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw OpenAPIError.malformed(name)
            }
            return object
        }
        var document = try load("platform.json")
        for name in files where name != "platform.json" {
            let fragment = try load(name)
            document["paths"] = try merge(document["paths"], fragment["paths"], what: "path", file: name)
            var components = document["components"] as? [String: Any] ?? [:]
            let extra = fragment["components"] as? [String: Any] ?? [:]
            for (kind, entries) in extra {
                components[kind] = try merge(components[kind], entries, what: "components.\(kind)", file: name)
            }
            document["components"] = components
            if let tags = fragment["tags"] as? [Any] {
                document["tags"] = (document["tags"] as? [Any] ?? []) + tags
            }
        }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func merge(_ base: Any?, _ extra: Any?, what: String, file: String) throws -> [String: Any] {
        var result = base as? [String: Any] ?? [:]
        for (key, value) in extra as? [String: Any] ?? [:] {
            if result[key] != nil { throw OpenAPIError.duplicate("\(what) \(key) in \(file)") }
            result[key] = value
        }
        return result
    }
}

enum OpenAPIError: Error, CustomStringConvertible {
    case missing(String)
    case malformed(String)
    case duplicate(String)

    var description: String {
        switch self {
        case .missing(let what): return "\(what) is missing from the build"
        case .malformed(let file): return "\(file) is not a JSON object"
        case .duplicate(let what): return "\(what) is defined twice"
        }
    }
}
