// The OpenAPI document is assembled from one fragment per area; a clash must be refused rather than
// silently overwrite another area's route.
import Foundation
@testable import Server
import Platform
import Testing

@Suite("OpenAPI assembly")
struct OpenAPITests {
    @Test("fragments merge, and a path defined twice is refused")
    func merge() throws {
        let merged = try OpenAPIDocument.merge(["/a": ["get": [:]]], ["/b": ["get": [:]]], what: "path", file: "x.json")
        #expect(Set(merged.keys) == ["/a", "/b"])
        #expect(throws: OpenAPIError.self) {
            try OpenAPIDocument.merge(["/a": ["get": [:]]], ["/a": ["post": [:]]], what: "path", file: "x.json")
        }
        let document = try JSONSerialization.jsonObject(with: try OpenAPIDocument.merged()) as? [String: Any]
        #expect(document?["openapi"] as? String == "3.1.0")
    }
}
