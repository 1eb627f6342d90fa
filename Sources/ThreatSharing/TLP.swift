// TLP 2.0 as STIX 2.1 expresses it: the fixed marking-definition identifiers published by OASIS
// (TLP 2.0 extension `extension-definition--60a3c5c5-…`) and the STIX 2.1 predefined TLP 1.0
// ones, the ordering readers are checked against, and how a TLP:RED object names its recipients.

import Platform

/// TLP levels are the platform's own (`Platform.TLP`, the one access rule's scale); this file adds
/// what STIX needs. The old name stays so STIX code reads naturally.
public typealias TLPLevel = TLP

extension TLP: CustomStringConvertible {
    public var description: String { label }
}

extension TLP {
    /// The TLP 2.0 marking-definition id (OASIS cti-stix-common-objects, TLP 2.0 extension).
    public var markingDefinitionId: String {
        switch self {
        case .clear: TLPMarkings.v2Clear
        case .green: TLPMarkings.v2Green
        case .amber: TLPMarkings.v2Amber
        case .amberStrict: TLPMarkings.v2AmberStrict
        case .red: TLPMarkings.v2Red
        }
    }

    /// The level a marking-definition id stands for (TLP 2.0 or STIX 2.1's TLP 1.0), else nil.
    public init?(markingDefinitionId id: String) {
        guard let level = TLPMarkings.levelById[id] else { return nil }
        self = level
    }

    /// The most restrictive TLP among `refs`; nil when none is a TLP marking (the caller then
    /// applies the collection's default).
    public static func highest(markingRefs refs: [String]) -> TLPLevel? {
        var best: TLPLevel?
        for ref in refs {
            if let level = TLPMarkings.levelById[ref], best.map({ level > $0 }) ?? true { best = level }
        }
        return best
    }

    /// The TLP of a STIX object read from its `object_marking_refs`.
    public static func of(_ object: JSONValue) -> TLPLevel? {
        let refs = object["object_marking_refs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return highest(markingRefs: refs)
    }

    /// The official TLP 2.0 marking-definition object, for a server that serves the markings
    /// its objects reference.
    public var markingDefinition: JSONValue {
        .object([
            "type": .string("marking-definition"),
            "spec_version": .string("2.1"),
            "id": .string(markingDefinitionId),
            "created": .string("2022-10-01T00:00:00.000Z"),
            "name": .string(label),
            "extensions": .object([
                TLPMarkings.tlp2ExtensionDefinition: .object([
                    "extension_type": .string("property-extension"),
                    "tlp_2_0": .string(name),
                ])
            ]),
        ])
    }
}

/// The fixed identifiers.
public enum TLPMarkings {
    public static let tlp2ExtensionDefinition = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

    public static let v2Clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    public static let v2Green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    public static let v2Amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    public static let v2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    public static let v2Red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

    /// STIX 2.1 section 7.2.1.4 predefined TLP 1.0 markings.
    public static let v1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
    public static let v1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
    public static let v1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    public static let v1Red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

    static let levelById: [String: TLPLevel] = [
        v2Clear: .clear, v2Green: .green, v2Amber: .amber, v2AmberStrict: .amberStrict, v2Red: .red,
        v1White: .clear, v1Green: .green, v1Amber: .amber, v1Red: .red,
    ]
}

/// How a producer names the individuals a TLP:RED object is for.
///
/// Convention: a top-level custom property `x_clearinghouse_recipients`, a non-empty array of
/// Clearinghouse user names (the names people sign in with, e.g. `"alice"`), for example
///
///     "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],
///     "x_clearinghouse_recipients": ["alice", "bob"]
///
/// A plain custom property rather than an extension because every STIX tool round-trips custom
/// properties (`stix2` with `allow_custom=True`) and producers can add it by hand. It is only
/// consulted when the object is TLP:RED; a TLP:RED object without it reaches no one but the
/// installation's administrators. Note that every recipient sees the whole list, as TLP:RED
/// participants in a meeting see each other.
public enum TLPRecipients {
    public static let propertyName = "x_clearinghouse_recipients"

    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: StixViolationReason
        public var description: String { "\(TLPRecipients.propertyName): \(reason.message)" }
    }

    /// The named recipients, nil when the property is absent. Names are trimmed; duplicates
    /// are dropped keeping first order.
    public static func read(from object: JSONValue) throws(Malformed) -> [String]? {
        guard let value = object[propertyName] else { return nil }
        guard case .array(let items) = value else {
            throw Malformed(reason: .wrongKind(expected: "array of user names", found: value.kindName))
        }
        guard !items.isEmpty else { throw Malformed(reason: .emptyList) }
        var names: [String] = []
        var seen = Set<String>()
        for item in items {
            guard case .string(let raw) = item else {
                throw Malformed(reason: .wrongKind(expected: "user name string", found: item.kindName))
            }
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw Malformed(reason: .emptyString) }
            if seen.insert(name).inserted { names.append(name) }
        }
        return names
    }
}

/// Whitespace trimming without Foundation's CharacterSet, to keep this file's needs small.
extension String {
    fileprivate enum Whitespace { case whitespaces }
    fileprivate func trimmingCharacters(in _: Whitespace) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        guard let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
