// STIX 2.1 validation on ingest: decides, per object, whether Clearinghouse stores it, and if
import Platform
// not, names the rule and the JSON path that failed so the TAXII status resource can say why.
// It checks what the server relies on (identity, versions, references, markings) and the
// common-property rules of the specification; it is not a full schema validator.

/// What ingest keeps about a valid object: the indexable facts, timestamps already parsed.
public struct StixObjectSummary: Sendable, Hashable {
    public let id: String
    public let type: String
    public let category: StixObjectCategory
    /// "2.1"; nil only for a cyber-observable that omits it (it then defaults to 2.1).
    public let specVersion: String?
    public let created: StixTimestamp?
    public let modified: StixTimestamp?
    public let createdByRef: String?
    public let objectMarkingRefs: [String]
    /// Highest TLP marking referenced by `object_marking_refs`; nil means "collection default".
    public let tlp: TLPLevel?
    /// Named individual recipients for TLP:RED (see `TLPRecipients`), nil when absent.
    public let recipients: [String]?

    /// The timestamp TAXII orders versions by: `modified`, else `created`; nil for objects that
    /// carry neither (cyber-observables), whose versions are told apart by `date_added`.
    public var versionTimestamp: StixTimestamp? { modified ?? created }

    /// The spec version to index under `match[spec_version]`.
    public var effectiveSpecVersion: String { specVersion ?? "2.1" }
}

/// Why an object was refused.
public enum StixViolationReason: Sendable, Hashable {
    case notAnObject(found: String)
    case missingProperty(String)
    case wrongKind(expected: String, found: String)
    case invalidTypeName(String)
    case bundleInsideBundle
    case unknownType(String)
    case unsupportedSpecVersion(String)
    case malformedIdentifier(String)
    case identifierTypeMismatch(id: String, type: String)
    case invalidTimestamp(String)
    case outOfOrder(earlier: String, later: String)
    case invalidPropertyName(String)
    case referenceToWrongType(ref: String, allowed: [String])
    case referenceToForbiddenType(ref: String)
    case emptyList
    case emptyString
    case invalidRelationshipType(String)
    case outOfRange(value: String, range: String)
    case invalidExtensionName(String)
    case invalidValue(String, allowed: [String])

    /// A stable short code for logs, metrics and tests.
    public var code: String {
        switch self {
        case .notAnObject: "not-an-object"
        case .missingProperty: "missing-property"
        case .wrongKind: "wrong-kind"
        case .invalidTypeName: "invalid-type-name"
        case .bundleInsideBundle: "bundle-inside-bundle"
        case .unknownType: "unknown-type"
        case .unsupportedSpecVersion: "unsupported-spec-version"
        case .malformedIdentifier: "malformed-identifier"
        case .identifierTypeMismatch: "identifier-type-mismatch"
        case .invalidTimestamp: "invalid-timestamp"
        case .outOfOrder: "out-of-order"
        case .invalidPropertyName: "invalid-property-name"
        case .referenceToWrongType: "reference-to-wrong-type"
        case .referenceToForbiddenType: "reference-to-forbidden-type"
        case .emptyList: "empty-list"
        case .emptyString: "empty-string"
        case .invalidRelationshipType: "invalid-relationship-type"
        case .outOfRange: "out-of-range"
        case .invalidExtensionName: "invalid-extension-name"
        case .invalidValue: "invalid-value"
        }
    }

    public var message: String {
        switch self {
        case .notAnObject(let found): "expected a JSON object, found \(found)"
        case .missingProperty(let name): "required property '\(name)' is missing"
        case .wrongKind(let expected, let found): "expected \(expected), found \(found)"
        case .invalidTypeName(let name):
            "'\(name.prefix(80))' is not a valid STIX type name (3-250 of a-z, 0-9, single hyphens)"
        case .bundleInsideBundle: "a bundle cannot be stored as an object"
        case .unknownType(let type): "type '\(type)' is not a STIX 2.1 type and custom types are not accepted"
        case .unsupportedSpecVersion(let v): "spec_version '\(v.prefix(20))' is not supported (only 2.1)"
        case .malformedIdentifier(let id): "'\(id.prefix(120))' is not an identifier of the form <type>--<RFC 4122 UUID>"
        case .identifierTypeMismatch(let id, let type): "identifier '\(id.prefix(120))' does not start with the object's type '\(type)'"
        case .invalidTimestamp(let text): TimestampError.invalid(text).description
        case .outOfOrder(let earlier, let later): "'\(later)' must not be earlier than '\(earlier)'"
        case .invalidPropertyName(let name): "'\(name.prefix(80))' is not a valid property name (3-250 of A-Z, a-z, 0-9, _)"
        case .referenceToWrongType(let ref, let allowed):
            "reference '\(ref.prefix(120))' must point to \(allowed.joined(separator: " or "))"
        case .referenceToForbiddenType(let ref): "reference '\(ref.prefix(120))' points to a type that cannot be used here"
        case .emptyList: "lists must not be empty"
        case .emptyString: "must not be an empty string"
        case .invalidRelationshipType(let t): "relationship_type '\(t.prefix(80))' must use only a-z, 0-9 and '-'"
        case .outOfRange(let value, let range): "\(value) is outside \(range)"
        case .invalidExtensionName(let name):
            "extension key '\(name.prefix(80))' must be an extension-definition identifier or a name ending in '-ext'"
        case .invalidValue(let value, let allowed): "'\(value.prefix(40))' is not one of \(allowed.joined(separator: ", "))"
        }
    }
}

/// A refused object: the rule, the JSON path (`$.objects[3].created`) and the id when known.
public struct StixViolation: Error, Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let reason: StixViolationReason
    public let objectId: String?

    public init(path: String, reason: StixViolationReason, objectId: String? = nil) {
        self.path = path
        self.reason = reason
        self.objectId = objectId
    }

    public var description: String { "\(path): \(reason.message)" }
}

/// Validates single STIX 2.1 objects. A value, so the server can hold one per configuration.
public struct StixValidator: Sendable {
    /// Accept types STIX does not define (ATT&CK's `x-mitre-*`), validated like domain objects.
    public var allowCustomTypes: Bool

    public init(allowCustomTypes: Bool = true) {
        self.allowCustomTypes = allowCustomTypes
    }

    /// Validates one object found at `path` (e.g. `$.objects[3]`).
    public func validate(_ value: JSONValue, path: String = "$") -> Result<StixObjectSummary, StixViolation> {
        do {
            return .success(try check(value, path: path))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - The rules

    private func check(_ value: JSONValue, path: String) throws(StixViolation) -> StixObjectSummary {
        guard case .object(let o) = value else {
            throw StixViolation(path: path, reason: .notAnObject(found: value.kindName))
        }
        let rawId = o["id"]?.stringValue
        func fail(_ property: String?, _ reason: StixViolationReason) -> StixViolation {
            StixViolation(path: property.map { "\(path).\($0)" } ?? path, reason: reason, objectId: rawId)
        }
        func string(_ name: String, required: Bool) throws(StixViolation) -> String? {
            guard let v = o[name] else {
                if required { throw fail(nil, .missingProperty(name)) }
                return nil
            }
            guard case .string(let s) = v else { throw fail(name, .wrongKind(expected: "string", found: v.kindName)) }
            return s
        }
        func timestamp(_ name: String, required: Bool) throws(StixViolation) -> StixTimestamp? {
            guard let text = try string(name, required: required) else { return nil }
            do { return try StixTimestamp(parsing: text) } catch { throw fail(name, .invalidTimestamp(text)) }
        }

        // type
        guard let type = try string("type", required: true) else { throw fail(nil, .missingProperty("type")) }
        guard StixTypes.isValidTypeName(type) else { throw fail("type", .invalidTypeName(type)) }
        if type == "bundle" { throw fail("type", .bundleInsideBundle) }
        let category = StixObjectCategory.of(type: type)
        if category == .custom, !allowCustomTypes { throw fail("type", .unknownType(type)) }

        // id
        guard let id = try string("id", required: true) else { throw fail(nil, .missingProperty("id")) }
        guard let identifier = StixIdentifier(id) else { throw fail("id", .malformedIdentifier(id)) }
        guard identifier.type == type else { throw fail("id", .identifierTypeMismatch(id: id, type: type)) }

        // property names (top level; nested dictionaries such as hashes have their own rules)
        for key in o.keys where !StixTypes.isValidPropertyName(key) {
            throw fail(nil, .invalidPropertyName(key))
        }

        // spec_version
        let specVersion = try string("spec_version", required: category != .cyberObservable)
        if let specVersion, specVersion != "2.1" { throw fail("spec_version", .unsupportedSpecVersion(specVersion)) }

        // created / modified
        let needsModified = category != .cyberObservable && type != "marking-definition"
        let created = try timestamp("created", required: category != .cyberObservable)
        let modified = try timestamp("modified", required: needsModified)
        if let created, let modified, modified < created { throw fail("modified", .outOfOrder(earlier: "created", later: "modified")) }

        // common optional properties
        let createdByRef = try reference("created_by_ref", in: o, path: path, allowed: ["identity"], id: rawId)
        let markingRefs = try references("object_marking_refs", in: o, path: path, allowed: ["marking-definition"], id: rawId) ?? []
        if let revoked = o["revoked"], case .bool = revoked {} else if let revoked = o["revoked"] {
            throw fail("revoked", .wrongKind(expected: "boolean", found: revoked.kindName))
        }
        if let confidence = o["confidence"] {
            guard case .int(let c) = confidence else { throw fail("confidence", .wrongKind(expected: "integer", found: confidence.kindName)) }
            guard (0...100).contains(c) else { throw fail("confidence", .outOfRange(value: "\(c)", range: "0...100")) }
        }
        try stringList("labels", in: o, path: path, id: rawId)
        try externalReferences(o, path: path, id: rawId)
        try granularMarkings(o, path: path, id: rawId)
        try killChainPhases(o, path: path, id: rawId)
        try extensions(o, path: path, id: rawId)
        try genericReferences(o, path: path, id: rawId)
        for name in ["first_seen", "last_seen", "valid_from", "valid_until", "published", "first_observed", "last_observed"] {
            _ = try timestamp(name, required: false)
        }

        // type-specific rules
        for name in StixValidator.requiredByType[type] ?? [] where o[name] == nil {
            throw fail(nil, .missingProperty(name))
        }
        switch type {
        case "relationship":
            guard let rt = try string("relationship_type", required: true) else { break }
            guard !rt.isEmpty, rt.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) else {
                throw fail("relationship_type", .invalidRelationshipType(rt))
            }
            for end in ["source_ref", "target_ref"] {
                guard let ref = try reference(end, in: o, path: path, allowed: nil, id: rawId) else {
                    throw fail(nil, .missingProperty(end))
                }
                if StixValidator.notRelationshipEnds.contains(StixIdentifier(ref)?.type ?? "") {
                    throw fail(end, .referenceToForbiddenType(ref: ref))
                }
            }
        case "sighting":
            guard let ref = try reference("sighting_of_ref", in: o, path: path, allowed: nil, id: rawId) else {
                throw fail(nil, .missingProperty("sighting_of_ref"))
            }
            let target = StixIdentifier(ref)?.type ?? ""
            if StixValidator.notRelationshipEnds.contains(target) || StixObjectCategory.of(type: target) == .cyberObservable {
                throw fail("sighting_of_ref", .referenceToWrongType(ref: ref, allowed: ["a domain object"]))
            }
            _ = try references("observed_data_refs", in: o, path: path, allowed: ["observed-data"], id: rawId)
            _ = try references("where_sighted_refs", in: o, path: path, allowed: ["identity", "location"], id: rawId)
            try integer("count", in: o, range: 0...999_999_999, path: path, id: rawId)
            if let first = try timestamp("first_seen", required: false), let last = try timestamp("last_seen", required: false), last < first {
                throw fail("last_seen", .outOfOrder(earlier: "first_seen", later: "last_seen"))
            }
        case "indicator":
            if let from = try timestamp("valid_from", required: true), let until = try timestamp("valid_until", required: false), until <= from {
                throw fail("valid_until", .outOfOrder(earlier: "valid_from", later: "valid_until"))
            }
        case "observed-data":
            try integer("number_observed", in: o, range: 1...999_999_999, path: path, id: rawId)
            if let first = try timestamp("first_observed", required: true), let last = try timestamp("last_observed", required: true), last < first {
                throw fail("last_observed", .outOfOrder(earlier: "first_observed", later: "last_observed"))
            }
        case "campaign", "intrusion-set", "threat-actor", "malware", "infrastructure":
            if let first = try timestamp("first_seen", required: false), let last = try timestamp("last_seen", required: false), last < first {
                throw fail("last_seen", .outOfOrder(earlier: "first_seen", later: "last_seen"))
            }
        case "marking-definition":
            try markingDefinition(o, path: path, id: rawId)
        default:
            break
        }

        let recipients: [String]?
        do { recipients = try TLPRecipients.read(from: value) } catch { throw fail(TLPRecipients.propertyName, error.reason) }

        return StixObjectSummary(
            id: id, type: type, category: category, specVersion: specVersion,
            created: created, modified: modified, createdByRef: createdByRef,
            objectMarkingRefs: markingRefs, tlp: TLPLevel.highest(markingRefs: markingRefs),
            recipients: recipients)
    }

    /// Required properties beyond the common ones, per STIX 2.1 section 4/5 (the MUSTs a server
    /// can check without interpreting patterns or vocabularies).
    static let requiredByType: [String: [String]] = [
        "attack-pattern": ["name"], "campaign": ["name"], "course-of-action": ["name"],
        "grouping": ["context", "object_refs"], "identity": ["name"], "incident": ["name"],
        "indicator": ["pattern", "pattern_type", "valid_from"], "infrastructure": ["name"],
        "intrusion-set": ["name"], "malware": ["is_family"], "malware-analysis": ["product"],
        "note": ["content", "object_refs"], "observed-data": ["first_observed", "last_observed", "number_observed"],
        "opinion": ["opinion", "object_refs"], "report": ["name", "published", "object_refs"],
        "threat-actor": ["name"], "tool": ["name"], "vulnerability": ["name"],
        "relationship": ["relationship_type", "source_ref", "target_ref"], "sighting": ["sighting_of_ref"],
        "extension-definition": ["name", "schema", "version", "extension_types"],
    ]

    /// Types that can be neither end of a relationship nor what a sighting is of.
    static let notRelationshipEnds: Set<String> = [
        "relationship", "sighting", "marking-definition", "language-content", "extension-definition", "bundle",
    ]

    private func reference(_ name: String, in o: [String: JSONValue], path: String, allowed: [String]?, id: String?) throws(StixViolation) -> String? {
        guard let v = o[name] else { return nil }
        guard case .string(let ref) = v else {
            throw StixViolation(path: "\(path).\(name)", reason: .wrongKind(expected: "identifier string", found: v.kindName), objectId: id)
        }
        try checkReference(ref, path: "\(path).\(name)", allowed: allowed, id: id)
        return ref
    }

    private func references(_ name: String, in o: [String: JSONValue], path: String, allowed: [String]?, id: String?) throws(StixViolation) -> [String]? {
        guard let v = o[name] else { return nil }
        guard case .array(let items) = v else {
            throw StixViolation(path: "\(path).\(name)", reason: .wrongKind(expected: "array of identifiers", found: v.kindName), objectId: id)
        }
        guard !items.isEmpty else { throw StixViolation(path: "\(path).\(name)", reason: .emptyList, objectId: id) }
        var refs: [String] = []
        refs.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .string(let ref) = item else {
                throw StixViolation(path: "\(path).\(name)[\(i)]", reason: .wrongKind(expected: "identifier string", found: item.kindName),
                                    objectId: id)
            }
            try checkReference(ref, path: "\(path).\(name)[\(i)]", allowed: allowed, id: id)
            refs.append(ref)
        }
        return refs
    }

    /// `path` is only built when there is something to report.
    private func checkReference(_ ref: String, path: @autoclosure () -> String, allowed: [String]?, id: String?) throws(StixViolation) {
        guard let target = StixIdentifier(ref) else {
            throw StixViolation(path: path(), reason: .malformedIdentifier(ref), objectId: id)
        }
        if let allowed, !allowed.contains(target.type) {
            throw StixViolation(path: path(), reason: .referenceToWrongType(ref: ref, allowed: allowed), objectId: id)
        }
    }

    /// Every other `*_ref` / `*_refs` property must hold identifiers, except `x_`-prefixed
    /// custom ones: those are the producer's own and opaque to us (ATT&CK writes
    /// `"x_mitre_data_source_ref": ""`, which STIX tools accept).
    private func genericReferences(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        for key in o.keys where !key.hasPrefix("x_") {
            if key.hasSuffix("_ref") {
                _ = try reference(key, in: o, path: path, allowed: nil, id: id)
            } else if key.hasSuffix("_refs") {
                _ = try references(key, in: o, path: path, allowed: nil, id: id)
            }
        }
    }

    private func integer(_ name: String, in o: [String: JSONValue], range: ClosedRange<Int>, path: String, id: String?) throws(StixViolation) {
        guard let v = o[name] else { return }
        guard case .int(let n) = v else {
            throw StixViolation(path: "\(path).\(name)", reason: .wrongKind(expected: "integer", found: v.kindName), objectId: id)
        }
        guard range.contains(n) else {
            throw StixViolation(path: "\(path).\(name)", reason: .outOfRange(value: "\(n)", range: "\(range.lowerBound)...\(range.upperBound)"), objectId: id)
        }
    }

    private func stringList(_ name: String, in o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        guard let v = o[name] else { return }
        guard case .array(let items) = v else {
            throw StixViolation(path: "\(path).\(name)", reason: .wrongKind(expected: "array of strings", found: v.kindName), objectId: id)
        }
        guard !items.isEmpty else { throw StixViolation(path: "\(path).\(name)", reason: .emptyList, objectId: id) }
        for (i, item) in items.enumerated() {
            guard case .string = item else {
                throw StixViolation(path: "\(path).\(name)[\(i)]", reason: .wrongKind(expected: "string", found: item.kindName), objectId: id)
            }
        }
    }

    /// Each member must be an object; `required` names members that must be non-empty strings.
    private func objectList(_ name: String, in o: [String: JSONValue], path: String, id: String?, required: [String]) throws(StixViolation) -> [(String, [String: JSONValue])] {
        guard let v = o[name] else { return [] }
        guard case .array(let items) = v else {
            throw StixViolation(path: "\(path).\(name)", reason: .wrongKind(expected: "array of objects", found: v.kindName), objectId: id)
        }
        guard !items.isEmpty else { throw StixViolation(path: "\(path).\(name)", reason: .emptyList, objectId: id) }
        var out: [(String, [String: JSONValue])] = []
        for (i, item) in items.enumerated() {
            let itemPath = "\(path).\(name)[\(i)]"
            guard case .object(let member) = item else {
                throw StixViolation(path: itemPath, reason: .wrongKind(expected: "object", found: item.kindName), objectId: id)
            }
            for field in required {
                guard let f = member[field] else { throw StixViolation(path: itemPath, reason: .missingProperty(field), objectId: id) }
                guard case .string(let s) = f else {
                    throw StixViolation(path: "\(itemPath).\(field)", reason: .wrongKind(expected: "string", found: f.kindName), objectId: id)
                }
                if s.isEmpty { throw StixViolation(path: "\(itemPath).\(field)", reason: .emptyString, objectId: id) }
            }
            out.append((itemPath, member))
        }
        return out
    }

    private func externalReferences(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        _ = try objectList("external_references", in: o, path: path, id: id, required: ["source_name"])
    }

    private func killChainPhases(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        _ = try objectList("kill_chain_phases", in: o, path: path, id: id, required: ["kill_chain_name", "phase_name"])
    }

    private func granularMarkings(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        for (itemPath, member) in try objectList("granular_markings", in: o, path: path, id: id, required: []) {
            if let ref = member["marking_ref"] {
                guard case .string(let r) = ref else {
                    throw StixViolation(path: "\(itemPath).marking_ref", reason: .wrongKind(expected: "identifier string", found: ref.kindName), objectId: id)
                }
                try checkReference(r, path: "\(itemPath).marking_ref", allowed: ["marking-definition"], id: id)
            } else if member["lang"] == nil {
                throw StixViolation(path: itemPath, reason: .missingProperty("marking_ref"), objectId: id)
            }
            try stringList("selectors", in: member, path: itemPath, id: id)
            if member["selectors"] == nil { throw StixViolation(path: itemPath, reason: .missingProperty("selectors"), objectId: id) }
        }
    }

    private func extensions(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        guard let v = o["extensions"] else { return }
        guard case .object(let members) = v else {
            throw StixViolation(path: "\(path).extensions", reason: .wrongKind(expected: "object", found: v.kindName), objectId: id)
        }
        guard !members.isEmpty else { throw StixViolation(path: "\(path).extensions", reason: .emptyList, objectId: id) }
        for (key, value) in members {
            let isDefinition = StixIdentifier(key)?.type == "extension-definition"
            let isPredefined = key.hasSuffix("-ext") && StixTypes.isValidTypeName(key)
            guard isDefinition || isPredefined else {
                throw StixViolation(path: "\(path).extensions", reason: .invalidExtensionName(key), objectId: id)
            }
            guard case .object = value else {
                throw StixViolation(path: "\(path).extensions['\(key)']", reason: .wrongKind(expected: "object", found: value.kindName), objectId: id)
            }
        }
    }

    /// Marking definitions have no `modified` and are either classic (definition_type +
    /// definition, e.g. TLP 1.0 and statements) or extension-based (TLP 2.0 uses `extensions`).
    private func markingDefinition(_ o: [String: JSONValue], path: String, id: String?) throws(StixViolation) {
        let hasExtensions = o["extensions"] != nil
        let definitionType = o["definition_type"]
        if definitionType == nil, !hasExtensions {
            throw StixViolation(path: path, reason: .missingProperty("definition_type"), objectId: id)
        }
        guard let definitionType else { return }
        guard case .string(let kind) = definitionType else {
            throw StixViolation(path: "\(path).definition_type", reason: .wrongKind(expected: "string", found: definitionType.kindName), objectId: id)
        }
        guard let definition = o["definition"] else {
            throw StixViolation(path: path, reason: .missingProperty("definition"), objectId: id)
        }
        guard case .object(let body) = definition else {
            throw StixViolation(path: "\(path).definition", reason: .wrongKind(expected: "object", found: definition.kindName), objectId: id)
        }
        switch kind {
        case "tlp":
            let allowed = ["white", "green", "amber", "red"]
            guard let tlp = body["tlp"]?.stringValue else {
                throw StixViolation(path: "\(path).definition", reason: .missingProperty("tlp"), objectId: id)
            }
            guard allowed.contains(tlp) else {
                throw StixViolation(path: "\(path).definition.tlp", reason: .invalidValue(tlp, allowed: allowed), objectId: id)
            }
        case "statement":
            guard let statement = body["statement"] else {
                throw StixViolation(path: "\(path).definition", reason: .missingProperty("statement"), objectId: id)
            }
            guard case .string = statement else {
                throw StixViolation(path: "\(path).definition.statement", reason: .wrongKind(expected: "string", found: statement.kindName), objectId: id)
            }
        default:
            break
        }
    }
}
