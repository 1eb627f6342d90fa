// The OpenAPI 3.1 document of the JSON API, shipped as a resource and served as is. CI validates it
// with openapi-spec-validator against a running server, and fuzzes the API from it.
import Foundation

enum OpenAPIDocument {
    static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            return Array(#"{"error":"openapi.json missing from the build"}"#.utf8)
        }
        return Array(data)
    }()
}
