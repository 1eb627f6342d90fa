// Statute tags for AI-enabled intrusions (EO 14409 §4): which of 18 U.S.C. 1028, 1030 and 1343 the
// facts of an incident point at, with the reason for each. These are pure rules over facts the
// reporter states; they SUGGEST, a person CONFIRMS, and nothing here is a legal conclusion.
import Foundation
import Platform

/// The statute families an incident can be tagged with.
public enum StatuteTag: String, Sendable, Codable, CaseIterable {
    case s1028 = "1028"
    case s1030 = "1030"
    case s1343 = "1343"
    case other

    public var title: String {
        switch self {
        case .s1028: "18 U.S.C. 1028 (fraud in connection with identification documents and means of identification)"
        case .s1030: "18 U.S.C. 1030 (fraud and related activity in connection with computers)"
        case .s1343: "18 U.S.C. 1343 (fraud by wire, radio, or television)"
        case .other: "other (named by the person confirming)"
        }
    }

    /// Parses a tag as a person writes it: `1030`, `1030(a)(2)`, `18 USC 1343`, `other`.
    /// Returns the family and the subsection text (may be empty); nil when the family is unknown.
    public static func parse(_ text: String) -> (tag: StatuteTag, subsection: String)? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for prefix in ["18 u.s.c. ", "18 usc ", "18 u.s.c. § ", "§"] where t.hasPrefix(prefix) { t.removeFirst(prefix.count) }
        t = t.trimmingCharacters(in: .whitespaces)
        if t == "other" { return (.other, "") }
        for tag in [StatuteTag.s1028, .s1030, .s1343] where t.hasPrefix(tag.rawValue) {
            let rest = String(t.dropFirst(tag.rawValue.count))
            // Only parenthesised subsections may follow: `1030(a)(2)`, never `10301`.
            guard rest.isEmpty || rest.range(of: #"^(\([0-9a-z]+\))+$"#, options: .regularExpression) != nil else { return nil }
            return (tag, rest)
        }
        return nil
    }
}

/// What the reporter says happened, as yes/no facts the rules read. Every field defaults to false.
public struct IncidentFacts: Sendable, Codable, Equatable {
    /// A computer was accessed without authorisation, or beyond the access granted.
    public var unauthorizedAccess = false
    /// The computer is used in or affects interstate or foreign commerce, or belongs to a financial
    /// institution or the United States government (a "protected computer").
    public var protectedComputer = false
    /// Information was obtained from the computer.
    public var informationObtained = false
    /// Integrity or availability was impaired (deletion, encryption, outage, tampering).
    public var damageCaused = false
    /// Someone threatened damage or disclosure to extort money or something of value.
    public var extortionThreat = false
    /// A scheme to defraud or to obtain money or property by false pretences.
    public var schemeToDefraud = false
    /// The scheme used wire, radio or television communication across state or national lines.
    public var interstateWires = false
    /// Identification documents, authentication features or means of identification (names with
    /// SSNs, credentials, biometrics) of another person were produced, transferred or used.
    public var identityMeansMisused = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case unauthorizedAccess = "unauthorized_access", protectedComputer = "protected_computer"
        case informationObtained = "information_obtained", damageCaused = "damage_caused"
        case extortionThreat = "extortion_threat", schemeToDefraud = "scheme_to_defraud"
        case interstateWires = "interstate_wires", identityMeansMisused = "identity_means_misused"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func flag(_ key: CodingKeys) throws -> Bool { try c.decodeIfPresent(Bool.self, forKey: key) ?? false }
        unauthorizedAccess = try flag(.unauthorizedAccess)
        protectedComputer = try flag(.protectedComputer)
        informationObtained = try flag(.informationObtained)
        damageCaused = try flag(.damageCaused)
        extortionThreat = try flag(.extortionThreat)
        schemeToDefraud = try flag(.schemeToDefraud)
        interstateWires = try flag(.interstateWires)
        identityMeansMisused = try flag(.identityMeansMisused)
    }
}

/// One suggested tag and the facts that led to it.
public struct StatuteSuggestion: Sendable, Codable, Equatable {
    public var tag: StatuteTag
    /// The provision, e.g. `1030(a)(2)`.
    public var provision: String
    public var reason: String
}

public enum StatuteRules {
    /// The sentence every page, API answer and package carries next to the tags.
    public static let notice = "Statute tags are suggestions computed from the facts as reported and confirmed by a person. They are not a legal conclusion; charging decisions belong to prosecutors."

    /// Suggestions, in a stable order. Empty when no rule fires (the person may still tag `other`).
    public static func suggest(_ f: IncidentFacts) -> [StatuteSuggestion] {
        var out: [StatuteSuggestion] = []
        if f.unauthorizedAccess && f.protectedComputer && f.informationObtained {
            out.append(.init(tag: .s1030, provision: "1030(a)(2)", reason: "Reported: access without authorisation (or exceeding it) to a protected computer, and information obtained from it."))
        } else if f.unauthorizedAccess && f.informationObtained {
            out.append(.init(tag: .s1030, provision: "1030(a)(2)", reason: "Reported: access without authorisation and information obtained; whether the computer is a protected computer was not stated."))
        }
        if f.damageCaused && (f.protectedComputer || f.unauthorizedAccess) {
            out.append(.init(tag: .s1030, provision: "1030(a)(5)", reason: "Reported: damage (impaired integrity or availability) to a \(f.protectedComputer ? "protected " : "")computer\(f.unauthorizedAccess ? " reached without authorisation" : "")."))
        }
        if f.extortionThreat {
            out.append(.init(tag: .s1030, provision: "1030(a)(7)", reason: "Reported: a threat to damage a computer or disclose its information, to extort something of value."))
        }
        if f.schemeToDefraud && f.interstateWires {
            out.append(.init(tag: .s1343, provision: "1343", reason: "Reported: a scheme to defraud or to obtain money or property by false pretences, carried out over interstate or foreign wires."))
        }
        if f.identityMeansMisused {
            out.append(.init(tag: .s1028, provision: "1028(a)(7)", reason: "Reported: a means of identification or identity document of another person was produced, transferred or used."))
        }
        return out
    }
}

/// A tag a person confirmed, in the words they wrote (`1030(a)(2)`), with who and when.
public struct ConfirmedTag: Sendable, Codable, Equatable {
    public var tag: StatuteTag
    public var provision: String
    public var note: String
}
