// The web shell: sign-in and sign-out, the home page with the product's areas, and the
// administration pages for organisations, users, tokens and the audit log. Every form carries a
// CSRF token: derived from the session for signed-in forms, a double-submit cookie for sign-in.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

struct WebController {
    let services: AppServices
    var directory: Directory { services.directory }
    var pages: Pages { services.pages }
    static let loginCSRFCookie = "ch_login_csrf"
    static let formLimit = 64 * 1024

    func register(on router: Router<AppContext>) {
        router.get("/static/app.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: .init(byteBuffer: Pages.stylesheet))
        }
        for path in ["/static/favicon.svg", "/favicon.ico"] {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "public, max-age=86400"],
                         body: .init(byteBuffer: Pages.favicon))
            }
        }
        router.get("/login", use: loginForm)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.get("/", use: home)
        router.get("/tokens", use: ownTokens)
        router.post("/tokens", use: createToken)
        router.post("/tokens/:id/revoke", use: revokeToken)
        router.get("/admin/orgs", use: orgs)
        router.post("/admin/orgs", use: createOrg)
        router.get("/admin/users", use: users)
        router.post("/admin/users", use: createUser)
        router.post("/admin/users/:id/disable", use: disableUser)
        router.post("/admin/users/:id/enable", use: enableUser)
        router.post("/admin/users/:id/password", use: resetPassword)
        router.get("/admin/tokens", use: allTokens)
        router.get("/admin/audit", use: audit)
    }

    // MARK: Helpers

    func chrome(_ title: String, nav: String, context: AppContext) async throws -> Chrome {
        guard let reader = context.reader else { return Chrome(title: title, signedIn: false) }
        let org = try await directory.organisation(id: reader.orgId)
        return Chrome(
            title: title, signedIn: true, userName: reader.userName, role: reader.role.rawValue, orgName: org?.name ?? "",
            isAdmin: reader.isAdmin, csrf: context.sessionSecret.map(Directory.csrfToken(forSession:)) ?? "", nav: nav)
    }

    /// Signed-in pages: an anonymous visitor is sent to sign in and brought back afterwards.
    func signedIn(_ request: Request, _ context: AppContext) throws -> Reader? {
        guard let reader = context.reader, context.sessionSecret != nil else { return nil }
        return reader
    }

    func redirectToLogin(_ request: Request) -> Response {
        let next = request.uri.path == "/" ? "" : "?next=" + (request.uri.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        return .redirect(to: "/login" + next, type: .normal)
    }

    /// Reads a signed-in form post and checks its CSRF token.
    func sessionForm(_ request: Request, _ context: AppContext) async throws -> (Reader, Form) {
        guard let reader = context.reader, let secret = context.sessionSecret else { throw DomainError.unauthenticated }
        let form = Form(try await request.collectBody(limit: Self.formLimit))
        guard let sent = form["_csrf"], Secrets.constantTimeEqual(sent, Directory.csrfToken(forSession: secret)) else {
            throw DomainError.forbidden("the form's security token did not match; reload the page and try again")
        }
        return (reader, form)
    }

    func requireAdminPage(_ request: Request, _ context: AppContext) throws -> Reader? {
        guard let reader = try signedIn(request, context) else { return nil }
        guard reader.isAdmin else { throw DomainError.notFound("page") }
        return reader
    }

    static func pager(path: String, query: [String: String], offset: Int, limit: Int, total: Int) -> [String: Any]? {
        func link(_ offset: Int) -> String {
            var items = query.filter { !$0.value.isEmpty }.map { URLQueryItem(name: $0.key, value: $0.value) }
            items.append(URLQueryItem(name: "offset", value: String(offset)))
            var components = URLComponents()
            components.path = path
            components.queryItems = items.sorted { $0.name < $1.name }
            return components.string ?? path
        }
        var pager: [String: Any] = [:]
        if offset > 0 { pager["previous"] = link(max(0, offset - limit)) }
        if offset + limit < total { pager["next"] = link(offset + limit) }
        return pager.isEmpty ? nil : pager
    }

    static func pageLabel(offset: Int, count: Int, total: Int) -> String? {
        guard total > count else { return nil }
        return "showing \(offset + 1) to \(offset + count)"
    }

    // MARK: Sign in and out

    @Sendable func loginForm(_ request: Request, context: AppContext) async throws -> Response {
        if context.reader != nil, context.sessionSecret != nil { return .redirect(to: "/", type: .normal) }
        return renderLogin(request, error: nil, username: "", next: try Query(request).string("next") ?? "", status: .ok)
    }

    func renderLogin(_ request: Request, error: String?, username: String, next: String, status: HTTPResponse.Status) -> Response {
        let token = request.cookies[Self.loginCSRFCookie]?.value ?? Secrets.randomToken(bytes: 24)
        var response = pages.render(
            "login", ["csrf": token, "error": error as Any, "username": username, "next": next],
            chrome: Chrome(title: "Sign in", signedIn: false), status: status)
        response.setCookie(Cookie(name: Self.loginCSRFCookie, value: token, maxAge: 3600, path: "/login",
                                  secure: services.configuration.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func login(_ request: Request, context: AppContext) async throws -> Response {
        let form = Form(try await request.collectBody(limit: Self.formLimit))
        let username = form["username"] ?? ""
        let next = form["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/"
        guard let cookie = request.cookies[Self.loginCSRFCookie]?.value, let sent = form["_csrf"], Secrets.constantTimeEqual(cookie, sent) else {
            return renderLogin(request, error: "Your sign-in form expired. Please try again.", username: username, next: next, status: .forbidden)
        }
        guard let password = values(form, "password"), !username.isEmpty else {
            return renderLogin(request, error: "Enter your user name and password.", username: username, next: next, status: .unprocessableContent)
        }
        do {
            let user = try await directory.login(name: username, password: password, address: context.remoteAddress)
            let secret = try await directory.startSession(userId: user.id)
            var response = Response.redirect(to: next, type: .found)
            response.setCookie(Cookie(name: AuthMiddleware.sessionCookie, value: secret, maxAge: Int(directory.sessionLifetime), path: "/",
                                      secure: services.configuration.secureCookies, httpOnly: true, sameSite: .lax))
            return response
        } catch DomainError.unauthenticated {
            return renderLogin(request, error: "The user name or password is not right.", username: username, next: next, status: .unauthorized)
        } catch DomainError.rateLimited(let seconds) {
            var response = renderLogin(request, error: "Too many failed attempts. Try again in \(seconds) seconds.", username: username,
                                       next: next, status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
    }

    /// Passwords are not trimmed: spaces at either end are part of them.
    func values(_ form: Form, _ key: String) -> String? {
        guard let value = form.values[key], !value.isEmpty else { return nil }
        return value
    }

    @Sendable func logout(_ request: Request, context: AppContext) async throws -> Response {
        guard context.sessionSecret != nil else { return .redirect(to: "/login", type: .found) }
        _ = try await sessionForm(request, context)
        if let secret = context.sessionSecret { try await directory.endSession(secret) }
        var response = Response.redirect(to: "/login", type: .found)
        response.setCookie(Cookie(name: AuthMiddleware.sessionCookie, value: "", maxAge: 0, path: "/",
                                  secure: services.configuration.secureCookies, httpOnly: true, sameSite: .lax))
        return response
    }

    // MARK: Home

    static let areas: [[String: String]] = [
        ["name": "Frontier program", "status": "available", "link": "/frontier",
         "summary": "Model records, compute ledgers and estimates against every policy, coverage inquiries, and 30-day pre-release access windows with trusted partners."],
        ["name": "Benchmarks", "status": "available", "link": "/benchmarks",
         "summary": "Cyber-capability evaluations run against model endpoints, scored with confidence bounds and drawn against the EO 14409 capability thresholds."],
        ["name": "Vulnerability clearinghouse", "status": "cases and the scan registry available; advisories coming next", "link": "/vulns",
         "summary": "Report intake and deduplication, validation workflow, SSVC/KEV/EPSS prioritisation and embargoed coordination cases."],
        ["name": "Threat sharing", "status": "available", "link": "/intel",
         "summary": "A TAXII 2.1 feed of STIX 2.1 intelligence with TLP 2.0 enforced for each reader."],
        ["name": "Defenders and incidents", "status": "defender home, remediation deadlines, tool access and incidents available", "link": "/defender",
         "summary": "A defender organisation's home: remediation deadlines under BOD 26-04 or BOD 22-01 with overdue items, the feeds it receives and its tool access (/tools); reporting of AI-enabled intrusions with referral packages."],
    ]

    @Sendable func home(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try signedIn(request, context) else { return redirectToLogin(request) }
        var model: [String: Any] = ["userName": reader.userName, "areas": Self.areas, "isAdmin": reader.isAdmin]
        if reader.isAdmin {
            model["orgCount"] = try await directory.organisationCount()
            model["userCount"] = try await directory.userCount()
            model["auditSeq"] = try await AuditLog.head(services.db).seq
        }
        return pages.render("home", model, chrome: try await chrome("Home", nav: "home", context: context))
    }

    // MARK: Tokens

    @Sendable func ownTokens(_ request: Request, context: AppContext) async throws -> Response {
        guard let reader = try signedIn(request, context) else { return redirectToLogin(request) }
        return try await renderTokens(context: context, userId: reader.userId, secret: nil, notice: nil, error: nil)
    }

    @Sendable func allTokens(_ request: Request, context: AppContext) async throws -> Response {
        guard try requireAdminPage(request, context) != nil else { return redirectToLogin(request) }
        return try await renderTokens(context: context, userId: nil, secret: nil, notice: nil, error: nil)
    }

    func renderTokens(context: AppContext, userId: String?, secret: String?, notice: String?, error: String?,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let chrome = try await chrome(userId == nil ? "All API tokens" : "My API tokens", nav: userId == nil ? "all-tokens" : "tokens", context: context)
        let tokens = try await directory.tokens(userId: userId)
        let now = services.clock.now()
        var names: [String: String] = [:]
        if userId == nil {
            for id in Set(tokens.map(\.userId)) { names[id] = try await directory.user(id: id)?.name ?? id }
        }
        let back = userId == nil ? "/admin/tokens" : "/tokens"
        let rows: [[String: Any]] = tokens.map { t in
            let state = t.revokedAt != nil ? "Revoked \(t.revokedAt?.utcDisplay ?? "")" : (t.isActive(at: now) ? "Active" : "Expired")
            return ["id": t.id, "label": t.label, "scope": t.scope ?? "read and write", "created": t.createdAt.utcDisplay,
                    "expires": t.expiresAt?.utcDisplay ?? "Never", "lastUsed": t.lastUsedAt?.utcDisplay ?? "Never", "state": state,
                    "active": t.isActive(at: now), "owner": names[t.userId] ?? "", "csrf": chrome.csrf, "back": back,
                    "showOwner": userId == nil]
        }
        let model: [String: Any] = [
            "heading": chrome.title, "tokens": rows, "count": rows.count, "secret": secret as Any, "notice": notice as Any,
            "error": error as Any, "csrf": chrome.csrf, "showOwner": userId == nil, "canCreate": userId != nil,
        ]
        return pages.render("tokens", model, chrome: chrome, status: status)
    }

    @Sendable func createToken(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await sessionForm(request, context)
        do {
            let scope = try form["scope"].map { raw -> TokenScope in
                guard let scope = TokenScope(rawValue: raw) else { throw DomainError.invalid(field: "scope", reason: "must be read or write") }
                return scope
            }
            let days = try form["expires_in_days"].map { raw -> Int in
                guard let days = Int(raw) else { throw DomainError.invalid(field: "expires_in_days", reason: "must be a whole number of days") }
                return days
            }
            let minted = try await directory.createToken(
                userId: reader.userId, label: form["label"] ?? "", scope: scope, expiresInDays: days, actor: context.actor)
            return try await renderTokens(context: context, userId: reader.userId, secret: minted.secret, notice: nil, error: nil, status: .created)
        } catch let error as DomainError {
            guard case .invalid = error else { throw error }
            return try await renderTokens(context: context, userId: reader.userId, secret: nil, notice: nil, error: error.description,
                                          status: .unprocessableContent)
        }
    }

    @Sendable func revokeToken(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await sessionForm(request, context)
        let id = try context.parameters.require("id")
        guard let token = try await directory.token(id: id), reader.isAdmin || token.userId == reader.userId else {
            throw DomainError.notFound("token")
        }
        try await directory.revokeToken(id: id, actor: context.actor)
        return .redirect(to: form["back"] == "/admin/tokens" && reader.isAdmin ? "/admin/tokens" : "/tokens", type: .normal)
    }

    // MARK: Organisations

    @Sendable func orgs(_ request: Request, context: AppContext) async throws -> Response {
        guard try requireAdminPage(request, context) != nil else { return redirectToLogin(request) }
        return try await renderOrgs(request, context: context, notice: try Query(request).string("created").map { "Added \($0)." }, error: nil)
    }

    func renderOrgs(_ request: Request, context: AppContext, notice: String?, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let chrome = try await chrome("Organisations", nav: "orgs", context: context)
        let offset = try Query(request).int("offset", range: 0...1_000_000) ?? 0
        let limit = 50
        let orgs = try await directory.organisations(limit: limit, offset: offset)
        let total = try await directory.organisationCount()
        let model: [String: Any] = [
            "orgs": orgs.map { ["id": $0.id, "name": $0.name, "kind": $0.kind.rawValue, "created": $0.createdAt.utcDisplay] },
            "total": total, "pageLabel": Self.pageLabel(offset: offset, count: orgs.count, total: total) as Any,
            "pager": Self.pager(path: "/admin/orgs", query: [:], offset: offset, limit: limit, total: total) as Any,
            "kinds": OrganisationKind.allCases.map(\.rawValue), "csrf": chrome.csrf, "notice": notice as Any, "error": error as Any,
        ]
        return pages.render("orgs", model, chrome: chrome, status: status)
    }

    @Sendable func createOrg(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await sessionForm(request, context)
        guard reader.isAdmin else { throw DomainError.notFound("page") }
        do {
            guard let kind = form["kind"].flatMap(OrganisationKind.init(rawValue:)) else {
                throw DomainError.invalid(field: "kind", reason: "choose one of the listed kinds")
            }
            let org = try await directory.createOrganisation(name: form["name"] ?? "", kind: kind, actor: context.actor)
            var components = URLComponents()
            components.path = "/admin/orgs"
            components.queryItems = [URLQueryItem(name: "created", value: org.name)]
            return .redirect(to: components.string ?? "/admin/orgs", type: .normal)
        } catch let error as DomainError {
            switch error {
            case .invalid, .conflict:
                return try await renderOrgs(request, context: context, notice: nil, error: error.description, status: .unprocessableContent)
            default: throw error
            }
        }
    }

    // MARK: Users

    @Sendable func users(_ request: Request, context: AppContext) async throws -> Response {
        guard try requireAdminPage(request, context) != nil else { return redirectToLogin(request) }
        return try await renderUsers(request, context: context, notice: nil, generated: nil, error: nil)
    }

    func renderUsers(_ request: Request, context: AppContext, notice: String?, generated: (String, String)?, error: String?,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let chrome = try await chrome("Users", nav: "users", context: context)
        let q = Query(request)
        let orgFilter = try q.string("org", maxLength: 100)
        let offset = try q.int("offset", range: 0...1_000_000) ?? 0
        let limit = 50
        let users = try await directory.users(orgId: orgFilter, limit: limit, offset: offset)
        let total = try await directory.userCount(orgId: orgFilter)
        let allOrgs = try await directory.organisations(limit: 1000)
        let orgNames = Dictionary(uniqueKeysWithValues: allOrgs.map { ($0.id, $0.name) })
        let model: [String: Any] = [
            "users": users.map { u in
                ["id": u.id, "name": u.name, "orgName": orgNames[u.orgId] ?? u.orgId, "role": u.role.rawValue,
                 "compartments": u.compartments.isEmpty ? "None" : u.compartments.joined(separator: ", "),
                 "state": u.disabled ? "Disabled" : "Active", "created": u.createdAt.utcDisplay,
                 "disabled": u.disabled, "isSelf": u.id == context.reader?.userId, "csrf": chrome.csrf] as [String: Any]
            },
            "orgName": orgFilter.flatMap { orgNames[$0] } as Any,
            "orgOptions": allOrgs.map { ["id": $0.id, "name": $0.name, "selected": $0.id == orgFilter] },
            // Least privilege first, so the form's default is the safest choice.
            "roles": Role.allCases.reversed().map(\.rawValue), "total": total,
            "pageLabel": Self.pageLabel(offset: offset, count: users.count, total: total) as Any,
            "pager": Self.pager(path: "/admin/users", query: ["org": orgFilter ?? ""], offset: offset, limit: limit, total: total) as Any,
            "csrf": chrome.csrf, "notice": notice as Any, "error": error as Any,
            "generatedPassword": generated?.1 as Any, "generatedFor": generated?.0 as Any,
        ]
        return pages.render("users", model, chrome: chrome, status: status)
    }

    @Sendable func createUser(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, form) = try await sessionForm(request, context)
        guard reader.isAdmin else { throw DomainError.notFound("page") }
        do {
            guard let role = form["role"].flatMap(Role.init(rawValue:)) else {
                throw DomainError.invalid(field: "role", reason: "choose one of the listed roles")
            }
            guard let orgId = form["org"], try await directory.organisation(id: orgId) != nil else {
                throw DomainError.invalid(field: "org", reason: "choose one of the listed organisations")
            }
            let password = Secrets.generatePassword()
            let compartments = (form["compartments"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let user = try await directory.createUser(
                name: form["name"] ?? "", orgId: orgId, role: role, password: password, compartments: compartments, actor: context.actor)
            return try await renderUsers(request, context: context, notice: "Added \(user.name).", generated: (user.name, password), error: nil,
                                         status: .created)
        } catch let error as DomainError {
            switch error {
            case .invalid, .conflict:
                return try await renderUsers(request, context: context, notice: nil, generated: nil, error: error.description,
                                             status: .unprocessableContent)
            default: throw error
            }
        }
    }

    @Sendable func disableUser(_ request: Request, context: AppContext) async throws -> Response {
        try await setUserDisabled(request, context: context, disabled: true)
    }

    @Sendable func enableUser(_ request: Request, context: AppContext) async throws -> Response {
        try await setUserDisabled(request, context: context, disabled: false)
    }

    func setUserDisabled(_ request: Request, context: AppContext, disabled: Bool) async throws -> Response {
        let (reader, _) = try await sessionForm(request, context)
        guard reader.isAdmin else { throw DomainError.notFound("page") }
        let id = try context.parameters.require("id")
        guard let user = try await directory.user(id: id) else { throw DomainError.notFound("user") }
        if id == reader.userId {
            return try await renderUsers(request, context: context, notice: nil, generated: nil,
                                         error: "You cannot disable your own account.", status: .conflict)
        }
        try await directory.setDisabled(userId: id, disabled: disabled, actor: context.actor)
        return try await renderUsers(request, context: context, notice: "\(disabled ? "Disabled" : "Enabled") \(user.name).",
                                     generated: nil, error: nil)
    }

    @Sendable func resetPassword(_ request: Request, context: AppContext) async throws -> Response {
        let (reader, _) = try await sessionForm(request, context)
        guard reader.isAdmin else { throw DomainError.notFound("page") }
        let id = try context.parameters.require("id")
        guard let user = try await directory.user(id: id) else { throw DomainError.notFound("user") }
        let password = Secrets.generatePassword()
        try await directory.setPassword(userId: id, password: password, actor: context.actor)
        return try await renderUsers(request, context: context, notice: "Set a new password for \(user.name); their sessions were ended.",
                                     generated: (user.name, password), error: nil)
    }

    // MARK: Audit

    @Sendable func audit(_ request: Request, context: AppContext) async throws -> Response {
        guard try requireAdminPage(request, context) != nil else { return redirectToLogin(request) }
        let chrome = try await chrome("Audit log", nav: "audit", context: context)
        let q = Query(request)
        let limit = 100
        let filter = AuditFilter(
            actor: try q.string("actor"), action: try q.string("action"), target: try q.string("target"),
            since: try q.date("since"), until: try q.date("until"),
            before: try q.int("before", range: 1...Int.max).map(Int64.init), limit: limit)
        let entries = try await AuditLog.list(services.db, filter: filter)
        let head = try await AuditLog.head(services.db)
        var pager: [String: Any]? = nil
        if entries.count == limit, let last = entries.last {
            var components = URLComponents()
            components.path = "/admin/audit"
            var items = ["actor", "action", "target", "since", "until"].compactMap { key in
                q.parameters.get(key).flatMap { $0.isEmpty ? nil : URLQueryItem(name: key, value: $0) }
            }
            items.append(URLQueryItem(name: "before", value: String(last.seq)))
            components.queryItems = items
            pager = ["next": components.string ?? "/admin/audit"]
        }
        let model: [String: Any] = [
            "entries": entries.map { e in
                ["seq": e.seq, "at": e.at.utcDisplay, "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail]
            },
            "count": entries.count, "headSeq": head.seq, "headHash": head.hash, "pager": pager as Any,
            "actor": q.parameters.get("actor") ?? "", "action": q.parameters.get("action") ?? "",
            "target": q.parameters.get("target") ?? "", "since": q.parameters.get("since") ?? "", "until": q.parameters.get("until") ?? "",
        ]
        return pages.render("audit", model, chrome: chrome)
    }
}
