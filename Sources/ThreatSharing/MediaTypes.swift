// TAXII 2.1 content negotiation (section 1.6.8): which representation answers an `Accept`
// header (else 406) and which request bodies are understood (else 415). Written against
// RFC 9110's media-range rules: case-insensitive names, optional whitespace around `;`,
// quoted parameter values, `q` weights, and more specific ranges overriding broader ones.

/// The two representations Clearinghouse serves.
public enum TAXIIMediaType: Sendable, Hashable {
    case taxii
    case stix

    public var headerValue: String {
        switch self {
        case .taxii: "application/taxii+json;version=2.1"
        case .stix: "application/stix+json;version=2.1"
        }
    }

    var subtype: String {
        switch self {
        case .taxii: "taxii+json"
        case .stix: "stix+json"
        }
    }
}

/// What an endpoint can produce or consume.
public enum TAXIIEndpointKind: Sendable, Hashable {
    /// Discovery, API root, collections, manifest, versions, status: TAXII only.
    case taxiiResource
    /// Objects (GET/POST) and an object by id: TAXII envelopes, also labelled as STIX.
    case objects

    var offered: [TAXIIMediaType] {
        switch self {
        case .taxiiResource: [.taxii]
        case .objects: [.taxii, .stix]
        }
    }
}

/// One parsed media type or media range.
public struct MediaRange: Sendable, Hashable {
    public let type: String
    public let subtype: String
    /// Parameter names lower-cased, values unquoted; `q` is not kept here.
    public let parameters: [String: String]
    /// 0…1, 1 when absent.
    public let quality: Double

    /// Parses `type/subtype *( OWS ";" OWS name=value )`. Nil when malformed.
    public init?(_ text: String) {
        let parts = MediaRange.splitOutsideQuotes(text, on: ";")
        guard let head = parts.first?.trimmingSpaces(), !head.isEmpty else { return nil }
        let typeParts = head.split(separator: "/", omittingEmptySubsequences: false)
        guard typeParts.count == 2, MediaRange.isToken(typeParts[0]), MediaRange.isToken(typeParts[1]) else { return nil }
        var parameters: [String: String] = [:]
        var quality = 1.0
        for raw in parts.dropFirst() {
            let parameter = raw.trimmingSpaces()
            if parameter.isEmpty { continue }  // tolerate "a/b;" and "a/b; ;x=y"
            guard let eq = parameter.firstIndex(of: "=") else { return nil }
            let name = parameter[..<eq].trimmingSpaces().lowercased()
            var value = parameter[parameter.index(after: eq)...].trimmingSpaces()
            guard MediaRange.isToken(Substring(name)) else { return nil }
            if value.hasPrefix("\"") {
                guard value.count >= 2, value.hasSuffix("\"") else { return nil }
                value = String(value.dropFirst().dropLast()).replacingBackslashEscapes()
            } else if !MediaRange.isToken(Substring(value)) {
                return nil
            }
            if name == "q" {
                guard let q = MediaRange.parseQuality(value) else { return nil }
                quality = q
            } else {
                parameters[name] = value
            }
        }
        self.type = typeParts[0].lowercased()
        self.subtype = typeParts[1].lowercased()
        self.parameters = parameters
        self.quality = quality
    }

    /// RFC 9110 qvalue: 0, 1, 0.x{0,3}, 1.0{0,3}.
    static func parseQuality(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard let first = b.first, first == 48 || first == 49 else { return nil }
        if b.count == 1 { return Double(first - 48) }
        guard b[1] == 46, b.count <= 5 else { return nil }
        var value = Double(first - 48)
        var scale = 0.1
        for c in b[2...] {
            guard c >= 48, c <= 57 else { return nil }
            if first == 49, c != 48 { return nil }
            value += Double(c - 48) * scale
            scale /= 10
        }
        return value
    }

    static func isToken(_ s: Substring) -> Bool {
        guard !s.isEmpty else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
                || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    static func splitOutsideQuotes(_ text: String, on separator: Character) -> [Substring] {
        var out: [Substring] = []
        var inQuotes = false
        var escaped = false
        var start = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if escaped { escaped = false }
            else if c == "\\" && inQuotes { escaped = true }
            else if c == "\"" { inQuotes.toggle() }
            else if c == separator && !inQuotes {
                out.append(text[start..<i])
                start = text.index(after: i)
            }
            i = text.index(after: i)
        }
        out.append(text[start...])
        return out
    }

    /// How specifically this range names `offer`, or nil when it does not match it.
    /// 3: type/subtype with version=2.1; 2: type/subtype; 1: type/*; 0: */*.
    func specificity(for offer: TAXIIMediaType) -> Int? {
        if type == "*" { return subtype == "*" ? 0 : nil }
        guard type == "application" else { return nil }
        if subtype == "*" { return 1 }
        guard subtype == offer.subtype else { return nil }
        guard let version = parameters["version"] else { return 2 }
        return version == "2.1" ? 3 : nil
    }
}

public enum TAXIINegotiation {
    /// Chooses the response media type for an `Accept` header. An absent or empty header means
    /// "anything" (RFC 9110), so clients that send none get TAXII JSON.
    public static func responseType(accept: String?, for endpoint: TAXIIEndpointKind) -> Result<TAXIIMediaType, TAXIIRequestError> {
        let header = accept?.trimmingSpaces() ?? ""
        if header.isEmpty { return .success(.taxii) }
        // Malformed elements are skipped rather than failing the whole header, as browsers and
        // proxies sometimes add odd entries; if nothing usable remains the answer is 406.
        let ranges = MediaRange.splitOutsideQuotes(header, on: ",").compactMap { MediaRange(String($0)) }
        var best: (TAXIIMediaType, Double)?
        for offer in endpoint.offered {
            var chosen: (specificity: Int, quality: Double)?
            for range in ranges {
                guard let s = range.specificity(for: offer) else { continue }
                if let current = chosen, s < current.specificity || (s == current.specificity && range.quality <= current.quality) {
                    continue
                }
                chosen = (s, range.quality)
            }
            guard let q = chosen?.quality, q > 0 else { continue }
            if let current = best, q <= current.1 { continue }  // ties keep the earlier (TAXII) offer
            best = (offer, q)
        }
        guard let best else { return .failure(.notAcceptable(accept: header)) }
        return .success(best.0)
    }

    /// Checks a request body's `Content-Type`. Parameters other than `version` (e.g. charset)
    /// are ignored; a version other than 2.1 is refused.
    public static func requestType(contentType: String?, for endpoint: TAXIIEndpointKind) -> Result<TAXIIMediaType, TAXIIRequestError> {
        guard let contentType, let media = MediaRange(contentType), media.type == "application" else {
            return .failure(.unsupportedMediaType(contentType: contentType))
        }
        for offer in endpoint.offered where media.subtype == offer.subtype {
            if let version = media.parameters["version"], version != "2.1" { break }
            return .success(offer)
        }
        return .failure(.unsupportedMediaType(contentType: contentType))
    }
}

extension StringProtocol {
    /// Strips RFC 9110 optional whitespace (space and tab).
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

extension String {
    fileprivate func replacingBackslashEscapes() -> String {
        var out = ""
        var escaped = false
        for c in self {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }
}
