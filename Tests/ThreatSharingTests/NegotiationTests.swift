// Content negotiation: what real TAXII clients send must succeed; anything else is 406/415.
import Platform
import Testing
@testable import ThreatSharing

@Suite struct NegotiationTests {
    // (Accept, endpoint, expected type or nil for 406)
    static let acceptMatrix: [(String?, TAXIIEndpointKind, TAXIIMediaType?)] = [
        ("application/taxii+json;version=2.1", .taxiiResource, .taxii),
        ("application/taxii+json", .taxiiResource, .taxii),
        ("application/taxii+json ; version=2.1", .taxiiResource, .taxii),
        ("Application/TAXII+JSON; Version=\"2.1\"", .taxiiResource, .taxii),
        (nil, .taxiiResource, .taxii),
        ("", .objects, .taxii),
        ("*/*", .taxiiResource, .taxii),
        ("application/*", .objects, .taxii),
        ("text/html,application/xhtml+xml,*/*;q=0.8", .taxiiResource, .taxii),
        ("application/stix+json;version=2.1", .objects, .stix),
        ("application/stix+json;version=2.1", .taxiiResource, nil),
        ("application/taxii+json;version=2.0", .taxiiResource, nil),
        ("application/vnd.oasis.taxii+json; version=2.0", .taxiiResource, nil),
        ("application/json", .taxiiResource, nil),
        ("text/html", .objects, nil),
        ("application/taxii+json;version=2.1;q=0", .taxiiResource, nil),
        ("*/*, application/taxii+json;q=0", .taxiiResource, nil),
        ("application/taxii+json;q=0.5, application/stix+json;version=2.1", .objects, .stix),
        ("application/stix+json;version=2.1;q=0.5, application/taxii+json;version=2.1;q=0.5", .objects, .taxii),
        ("application/taxii+json;q=2", .taxiiResource, nil),
        ("garbage, application/taxii+json;version=2.1", .taxiiResource, .taxii),
    ]

    @Test(arguments: 0..<acceptMatrix.count)
    func accept(_ row: Int) {
        let (accept, endpoint, expected) = Self.acceptMatrix[row]
        switch TAXIINegotiation.responseType(accept: accept, for: endpoint) {
        case .success(let type):
            #expect(type == expected, "Accept: \(accept ?? "(none)")")
        case .failure(let error):
            #expect(expected == nil, "Accept: \(accept ?? "(none)") gave \(error)")
            #expect(error.httpStatus == 406)
            #expect(error.resource.httpStatus == "406")
        }
    }

    static let contentTypeMatrix: [(String?, TAXIIEndpointKind, TAXIIMediaType?)] = [
        ("application/taxii+json;version=2.1", .objects, .taxii),
        ("application/taxii+json", .objects, .taxii),
        ("application/taxii+json; charset=utf-8; version=2.1", .objects, .taxii),
        ("application/stix+json;version=2.1", .objects, .stix),
        ("application/stix+json;version=2.0", .objects, nil),
        ("application/taxii+json;version=2.0", .objects, nil),
        ("application/json", .objects, nil),
        ("text/plain", .objects, nil),
        (nil, .objects, nil),
        ("application/", .objects, nil),
        ("application/stix+json;version=2.1", .taxiiResource, nil),
    ]

    @Test(arguments: 0..<contentTypeMatrix.count)
    func contentType(_ row: Int) {
        let (contentType, endpoint, expected) = Self.contentTypeMatrix[row]
        switch TAXIINegotiation.requestType(contentType: contentType, for: endpoint) {
        case .success(let type):
            #expect(type == expected, "Content-Type: \(contentType ?? "(none)")")
        case .failure(let error):
            #expect(expected == nil, "Content-Type: \(contentType ?? "(none)") gave \(error)")
            #expect(error.httpStatus == 415)
            #expect(error.resource.title == "Unsupported Media Type")
        }
    }

    @Test func headerValuesAreWhatTheSpecificationNames() {
        #expect(TAXIIMediaType.taxii.headerValue == "application/taxii+json;version=2.1")
        #expect(TAXIIMediaType.stix.headerValue == "application/stix+json;version=2.1")
    }
}
