// Ingest validation: what a producer sees in the status resource when an object is refused,
// and that valid objects of every family are accepted with their facts extracted.
import Platform
import Testing
@testable import ThreatSharing

enum Samples {
    static let identity = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
    static let statement = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"

    static let attackPattern: JSONValue = [
        "type": "attack-pattern", "spec_version": "2.1",
        "id": "attack-pattern--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22",
        "created": "2016-05-12T08:17:27.000Z", "modified": "2016-05-12T08:17:27.000Z",
        "name": "Spear Phishing", "created_by_ref": "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
        "external_references": [["source_name": "capec", "external_id": "CAPEC-163"]],
        "kill_chain_phases": [["kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"]],
        "labels": ["phishing"], "confidence": 80, "revoked": false,
        "x_acme_score": 3,
    ]
    static let relationship: JSONValue = [
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "created": "2016-04-06T20:06:37.000Z", "modified": "2016-04-06T20:06:37.000Z",
        "relationship_type": "indicates",
        "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
    ]
    static let sighting: JSONValue = [
        "type": "sighting", "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.000Z", "modified": "2016-04-06T20:08:31.000Z",
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "where_sighted_refs": ["identity--b67d30ff-02ac-498a-92f9-32f845f448ff"], "count": 2,
        "first_seen": "2016-04-06T20:00:00Z", "last_seen": "2016-04-06T20:05:00Z",
    ]
    static let indicator: JSONValue = [
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
        "name": "Poison Ivy Malware", "pattern": "[file:hashes.'SHA-256' = 'aec0']", "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z",
    ]
    static let ipv4: JSONValue = ["type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"]
    static let tlp1Green: JSONValue = [
        "type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:GREEN", "definition": ["tlp": "green"],
    ]
}

@Suite struct ValidationTests {
    let validator = StixValidator()

    @Test(arguments: [Samples.attackPattern, Samples.relationship, Samples.sighting, Samples.indicator, Samples.ipv4,
                      Samples.tlp1Green, TLPLevel.amberStrict.markingDefinition, TLPLevel.red.markingDefinition])
    func acceptsValidObjects(_ object: JSONValue) throws {
        let summary = try validator.validate(object).get()
        #expect(summary.id == object["id"]?.stringValue)
        #expect(summary.type == object["type"]?.stringValue)
    }

    @Test func extractsIndexableFacts() throws {
        let s = try validator.validate(Samples.attackPattern).get()
        #expect(s.category == .domain)
        #expect(s.created == (try StixTimestamp(parsing: "2016-05-12T08:17:27Z")))
        #expect(s.versionTimestamp == s.modified)
        #expect(s.createdByRef == Samples.identity)
        #expect(s.tlp == .green)
        #expect(s.recipients == nil)
        let ip = try validator.validate(Samples.ipv4).get()
        #expect(ip.category == .cyberObservable)
        #expect(ip.versionTimestamp == nil)
        #expect(ip.effectiveSpecVersion == "2.1")
    }

    @Test func customTypesFollowTheOption() throws {
        let custom = Samples.attackPattern.setting("type", "x-acme-widget")
            .setting("id", "x-acme-widget--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22")
        #expect(try validator.validate(custom).get().category == .custom)
        let strict = StixValidator(allowCustomTypes: false)
        #expect(throws: StixViolation(path: "$.type", reason: .unknownType("x-acme-widget"),
                                      objectId: "x-acme-widget--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22")) {
            try strict.validate(custom).get()
        }
    }

    struct Bad: Sendable, CustomStringConvertible {
        let name: String
        let object: JSONValue
        let code: String
        let path: String
        var description: String { name }
    }

    static let ap = Samples.attackPattern
    static let bad: [Bad] = [
        Bad(name: "array instead of object", object: [1, 2], code: "not-an-object", path: "$"),
        Bad(name: "no type", object: ap.setting("type", nil), code: "missing-property", path: "$"),
        Bad(name: "type is a number", object: ap.setting("type", 7), code: "wrong-kind", path: "$.type"),
        Bad(name: "type with capitals", object: ap.setting("type", "Attack-Pattern"), code: "invalid-type-name", path: "$.type"),
        Bad(name: "type with double hyphen", object: ap.setting("type", "x--y"), code: "invalid-type-name", path: "$.type"),
        Bad(name: "type too short", object: ap.setting("type", "ab"), code: "invalid-type-name", path: "$.type"),
        Bad(name: "bundle as object", object: ["type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"], code: "bundle-inside-bundle", path: "$.type"),
        Bad(name: "no id", object: ap.setting("id", nil), code: "missing-property", path: "$"),
        Bad(name: "id without UUID", object: ap.setting("id", "attack-pattern--1234"), code: "malformed-identifier", path: "$.id"),
        Bad(name: "id with non-RFC4122 variant", object: ap.setting("id", "attack-pattern--0a3ead4e-6d47-4ccb-c54c-a6a4f9d96b22"), code: "malformed-identifier", path: "$.id"),
        Bad(name: "id type differs from type", object: ap.setting("id", "malware--0a3ead4e-6d47-4ccb-854c-a6a4f9d96b22"), code: "identifier-type-mismatch", path: "$.id"),
        Bad(name: "no spec_version", object: ap.setting("spec_version", nil), code: "missing-property", path: "$"),
        Bad(name: "STIX 2.0 object", object: ap.setting("spec_version", "2.0"), code: "unsupported-spec-version", path: "$.spec_version"),
        Bad(name: "no created", object: ap.setting("created", nil), code: "missing-property", path: "$"),
        Bad(name: "no modified", object: ap.setting("modified", nil), code: "missing-property", path: "$"),
        Bad(name: "timestamp with offset", object: ap.setting("created", "2016-05-12T08:17:27+02:00"), code: "invalid-timestamp", path: "$.created"),
        Bad(name: "modified before created", object: ap.setting("modified", "2015-01-01T00:00:00Z"), code: "out-of-order", path: "$.modified"),
        Bad(name: "property name with hyphen", object: ap.setting("x-acme-score", 1), code: "invalid-property-name", path: "$"),
        Bad(name: "property name too short", object: ap.setting("xy", 1), code: "invalid-property-name", path: "$"),
        Bad(name: "created_by_ref to malware", object: ap.setting("created_by_ref", "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"), code: "reference-to-wrong-type", path: "$.created_by_ref"),
        Bad(name: "marking ref to identity", object: ap.setting("object_marking_refs", [.string(Samples.identity)]), code: "reference-to-wrong-type", path: "$.object_marking_refs[0]"),
        Bad(name: "empty object_marking_refs", object: ap.setting("object_marking_refs", []), code: "empty-list", path: "$.object_marking_refs"),
        Bad(name: "object_marking_refs not a list", object: ap.setting("object_marking_refs", .string(Samples.statement)), code: "wrong-kind", path: "$.object_marking_refs"),
        Bad(name: "other _ref not an id", object: ap.setting("sample_ref", "bob"), code: "malformed-identifier", path: "$.sample_ref"),
        Bad(name: "other _refs with a bad id", object: ap.setting("object_refs", [.string(Samples.identity), "x"]), code: "malformed-identifier", path: "$.object_refs[1]"),
        Bad(name: "confidence above 100", object: ap.setting("confidence", 101), code: "out-of-range", path: "$.confidence"),
        Bad(name: "revoked as string", object: ap.setting("revoked", "no"), code: "wrong-kind", path: "$.revoked"),
        Bad(name: "external reference without source_name", object: ap.setting("external_references", [["url": "https://example.org"]]), code: "missing-property", path: "$.external_references[0]"),
        Bad(name: "kill chain phase with empty name", object: ap.setting("kill_chain_phases", [["kill_chain_name": "", "phase_name": "x"]]), code: "empty-string", path: "$.kill_chain_phases[0].kill_chain_name"),
        Bad(name: "attack-pattern without name", object: ap.setting("name", nil), code: "missing-property", path: "$"),
        Bad(name: "extension with a bad key", object: ap.setting("extensions", ["acme": ["a": 1]]), code: "invalid-extension-name", path: "$.extensions"),
        Bad(name: "relationship without relationship_type", object: Samples.relationship.setting("relationship_type", nil), code: "missing-property", path: "$"),
        Bad(name: "relationship_type with spaces", object: Samples.relationship.setting("relationship_type", "related to"), code: "invalid-relationship-type", path: "$.relationship_type"),
        Bad(name: "relationship source malformed", object: Samples.relationship.setting("source_ref", "indicator--nope"), code: "malformed-identifier", path: "$.source_ref"),
        Bad(name: "relationship target is a relationship", object: Samples.relationship.setting("target_ref", "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"), code: "reference-to-forbidden-type", path: "$.target_ref"),
        Bad(name: "sighting without sighting_of_ref", object: Samples.sighting.setting("sighting_of_ref", nil), code: "missing-property", path: "$"),
        Bad(name: "sighting of an observable", object: Samples.sighting.setting("sighting_of_ref", "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"), code: "reference-to-wrong-type", path: "$.sighting_of_ref"),
        Bad(name: "sighting where_sighted_refs to malware", object: Samples.sighting.setting("where_sighted_refs", ["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]), code: "reference-to-wrong-type", path: "$.where_sighted_refs[0]"),
        Bad(name: "sighting last_seen before first_seen", object: Samples.sighting.setting("last_seen", "2016-04-06T19:00:00Z"), code: "out-of-order", path: "$.last_seen"),
        Bad(name: "sighting negative count", object: Samples.sighting.setting("count", -1), code: "out-of-range", path: "$.count"),
        Bad(name: "indicator valid_until before valid_from", object: Samples.indicator.setting("valid_until", "2015-01-01T00:00:00Z"), code: "out-of-order", path: "$.valid_until"),
        Bad(name: "indicator without pattern", object: Samples.indicator.setting("pattern", nil), code: "missing-property", path: "$"),
        Bad(name: "marking definition without definition", object: Samples.tlp1Green.setting("definition", nil), code: "missing-property", path: "$"),
        Bad(name: "TLP 1.0 marking with unknown colour", object: Samples.tlp1Green.setting("definition", ["tlp": "purple"]), code: "invalid-value", path: "$.definition.tlp"),
        Bad(name: "observable with wrong spec_version", object: Samples.ipv4.setting("spec_version", "2.0"), code: "unsupported-spec-version", path: "$.spec_version"),
        Bad(name: "recipients not a list", object: ap.setting("x_clearinghouse_recipients", "alice"), code: "wrong-kind", path: "$.x_clearinghouse_recipients"),
        Bad(name: "recipients empty", object: ap.setting("x_clearinghouse_recipients", []), code: "empty-list", path: "$.x_clearinghouse_recipients"),
    ]

    @Test(arguments: bad)
    func refusesWithReasonAndPath(_ case_: Bad) {
        switch validator.validate(case_.object) {
        case .success:
            Issue.record("\(case_.name) was accepted")
        case .failure(let violation):
            #expect(violation.reason.code == case_.code, "\(case_.name): \(violation)")
            #expect(violation.path == case_.path, "\(case_.name): \(violation)")
            #expect(!violation.reason.message.isEmpty)
        }
    }

    @Test func reportsTheIdOfARefusedObjectAndNamesTheProperty() {
        let result = validator.validate(Self.ap.setting("modified", "soon"), path: "$.objects[4]")
        guard case .failure(let v) = result else { Issue.record("accepted"); return }
        #expect(v.objectId == Self.ap["id"]?.stringValue)
        #expect(v.description == "$.objects[4].modified: 'soon' is not an RFC 3339 UTC timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z")
    }

    @Test func xPrefixedCustomReferencesAreOpaque() throws {
        // As in ATT&CK for ICS data components.
        #expect(try validator.validate(Self.ap.setting("x_mitre_data_source_ref", "")).get().id == Self.ap["id"]?.stringValue)
    }

    @Test func identicalCreatedAndModifiedIsFine() throws {
        let o = Self.ap.setting("modified", Self.ap["created"])
        #expect(try validator.validate(o).get().modified == validator.validate(o).get().created)
    }
}
