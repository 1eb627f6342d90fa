// Server-rendered pages: Mustache templates shipped as resources, each page a view model rendered
// into its template and then into the shared layout. Pages work without JavaScript.
import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore
import Platform

/// What the layout needs around every page.
struct Chrome {
    var title: String
    var signedIn: Bool
    var userName: String = ""
    var role: String = ""
    var orgName: String = ""
    var isAdmin: Bool = false
    var csrf: String = ""
    var nav: String = ""
}

struct Pages: Sendable {
    let library: MustacheLibrary
    static let version = "0.1.0"

    static func load() async throws -> Pages {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("Templates").path else {
            throw ConfigurationError.invalid(key: "templates", reason: "the Templates resource folder is missing from the build")
        }
        return Pages(library: try await MustacheLibrary(directory: folder))
    }

    static let stylesheet = staticFile("app.css")
    static let favicon = staticFile("favicon.svg")

    static func staticFile(_ name: String) -> ByteBuffer {
        let url = Bundle.module.resourceURL?.appendingPathComponent("Static/\(name)")
        return ByteBuffer(bytes: url.flatMap { try? Data(contentsOf: $0) } ?? Data())
    }

    func render(_ template: String, _ model: Any, chrome: Chrome, status: HTTPResponse.Status = .ok) -> Response {
        let body = library.render(Self.dropNils(model) ?? [:], withTemplate: template) ?? ""
        let layout: [String: Any] = [
            "title": chrome.title, "body": body, "signedIn": chrome.signedIn, "userName": chrome.userName,
            "role": chrome.role, "orgName": chrome.orgName, "isAdmin": chrome.isAdmin, "csrf": chrome.csrf,
            "version": Self.version,
            "navHome": chrome.nav == "home", "navTokens": chrome.nav == "tokens", "navOrgs": chrome.nav == "orgs",
            "navUsers": chrome.nav == "users", "navAllTokens": chrome.nav == "all-tokens", "navAudit": chrome.nav == "audit",
            "navFrontier": chrome.nav == "frontier",
            "navIntel": chrome.nav == "intel",
            "navBenchmarks": chrome.nav == "benchmarks",
            "navIncidents": chrome.nav == "incidents",
            "navTools": chrome.nav == "tools",
            "navDefender": chrome.nav == "defender",
            "navVulns": chrome.nav == "vulns",
        ]
        let html = library.render(layout, withTemplate: "layout") ?? body
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// View models are dictionaries that may hold optionals boxed in `Any`; Mustache would print a
    /// boxed nil as "nil", so absent values are removed before rendering (and sections stay closed).
    static func dropNils(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return dropNils(wrapped)
        }
        if let dictionary = value as? [String: Any] {
            return dictionary.compactMapValues { dropNils($0) }
        }
        if let array = value as? [[String: Any]] {
            return array.map { $0.compactMapValues { dropNils($0) } }
        }
        return value
    }

    func errorPage(status: HTTPResponse.Status, message: String, context: AppContext) -> Response {
        let chrome = Chrome(title: status.reasonPhrase, signedIn: false)
        return render("error", ["heading": "\(status.code) \(status.reasonPhrase)", "message": message], chrome: chrome, status: status)
    }
}

/// A parsed `application/x-www-form-urlencoded` body.
struct Form {
    let values: [String: String]
    /// Every value of each key, in order (check boxes and multiple selects send a key once per choice).
    let lists: [String: [String]]

    init(_ buffer: ByteBuffer) {
        var values: [String: String] = [:]
        var lists: [String: [String]] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first.map(decode), !key.isEmpty else { continue }
            values[key] = parts.count > 1 ? decode(parts[1]) : ""
            lists[key, default: []].append(values[key] ?? "")
        }
        self.values = values
        self.lists = lists
    }

    subscript(_ key: String) -> String? {
        guard let value = values[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}
