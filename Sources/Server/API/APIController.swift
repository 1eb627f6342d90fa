// The JSON API under /api/v1 for the foundation: the caller, organisations, users, API tokens and
// the audit log. Handlers decode, authorise, call the directory, and encode; the OpenAPI document
// served at /api/v1/openapi.json describes exactly these routes.
import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import Platform

struct APIController {
    let services: AppServices
    var directory: Directory { services.directory }

    func register(on group: RouterGroup<AppContext>) {
        group.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
        group.get("me", use: me)
        group.get("orgs", use: listOrgs)
        group.post("orgs", use: createOrg)
        group.get("orgs/:id", use: getOrg)
        group.get("users", use: listUsers)
        group.post("users", use: createUser)
        group.get("users/:id", use: getUser)
        group.patch("users/:id", use: updateUser)
        group.get("tokens", use: listTokens)
        group.post("tokens", use: createToken)
        group.delete("tokens/:id", use: revokeToken)
        group.get("audit", use: listAudit)
        group.get("audit/head", use: auditHead)
        group.get("audit/verify", use: auditVerify)
    }

    // MARK: Caller

    @Sendable func me(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        guard let user = try await directory.user(id: reader.userId), let org = try await directory.organisation(id: reader.orgId) else {
            throw DomainError.unauthenticated
        }
        return try .json(MeDTO(user: UserDTO(user), organisation: OrgDTO(org), tokenScope: reader.scope))
    }

    // MARK: Organisations

    @Sendable func listOrgs(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        let (limit, offset) = try paging(request)
        let orgs = try await directory.organisations(limit: limit, offset: offset)
        return try .json(Page(items: orgs.map(OrgDTO.init), total: try await directory.organisationCount(), limit: limit, offset: offset))
    }

    @Sendable func createOrg(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireWriter()
        _ = try context.requireAdmin()
        let input = try await request.decodeInput(CreateOrgInput.self, context: context)
        let org = try await directory.createOrganisation(name: input.name, kind: input.kind, actor: context.actor)
        var response = try Response.json(OrgDTO(org), status: .created)
        response.headers[.location] = "/api/v1/orgs/\(org.id)"
        return response
    }

    @Sendable func getOrg(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireReader()
        let id = try context.parameters.require("id")
        guard let org = try await directory.organisation(id: id) else { throw DomainError.notFound("organisation") }
        return try .json(OrgDTO(org))
    }

    // MARK: Users

    @Sendable func listUsers(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let (limit, offset) = try paging(request)
        // Administrators see everyone (optionally one organisation); others see their own organisation.
        let org = reader.isAdmin ? try Query(request).string("org", maxLength: 100) : reader.orgId
        let users = try await directory.users(orgId: org, limit: limit, offset: offset)
        return try .json(Page(items: users.map(UserDTO.init), total: try await directory.userCount(orgId: org), limit: limit, offset: offset))
    }

    @Sendable func createUser(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireWriter()
        _ = try context.requireAdmin()
        let input = try await request.decodeInput(CreateUserInput.self, context: context)
        var found = try await directory.organisation(id: input.org)
        if found == nil { found = try await directory.organisation(named: input.org) }
        guard let org = found else {
            throw InputError(status: .unprocessableContent, field: "$.org", "no organisation with that id or name")
        }
        let generated = input.password == nil ? Secrets.generatePassword() : nil
        let user = try await directory.createUser(
            name: input.name, orgId: org.id, role: input.role, password: input.password ?? generated,
            compartments: input.compartments ?? [], actor: context.actor)
        var response = try Response.json(CreatedUserDTO(user: UserDTO(user), generatedPassword: generated), status: .created)
        response.headers[.location] = "/api/v1/users/\(user.id)"
        return response
    }

    @Sendable func getUser(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let id = try context.parameters.require("id")
        guard let user = try await directory.user(id: id), reader.isAdmin || user.orgId == reader.orgId else {
            throw DomainError.notFound("user")
        }
        return try .json(UserDTO(user))
    }

    @Sendable func updateUser(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        _ = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let input = try await request.decodeInput(UpdateUserInput.self, context: context)
        guard try await directory.user(id: id) != nil else { throw DomainError.notFound("user") }
        if id == reader.userId, input.disabled == true || (input.role.map { $0 != .admin } ?? false) {
            // An administrator locking themselves out leaves nobody to undo it from the web.
            throw InputError(status: .conflict, field: input.disabled == true ? "$.disabled" : "$.role",
                             "you cannot disable yourself or remove your own administrator role")
        }
        var user = try await directory.update(userId: id, role: input.role, compartments: input.compartments, actor: context.actor)
        if let disabled = input.disabled, disabled != user.disabled {
            try await directory.setDisabled(userId: id, disabled: disabled, actor: context.actor)
            user.disabled = disabled
        }
        return try .json(UserDTO(user))
    }

    // MARK: Tokens

    @Sendable func listTokens(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireReader()
        let requested = try Query(request).string("user", maxLength: 100)
        let userId = reader.isAdmin ? requested : reader.userId
        let tokens = try await directory.tokens(userId: userId)
        let now = services.clock.now()
        return try .json(Page(items: tokens.map { TokenDTO($0, now: now) }, total: tokens.count, limit: tokens.count, offset: 0))
    }

    @Sendable func createToken(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let input = try await request.decodeInput(CreateTokenInput.self, context: context)
        var userId = reader.userId
        if let requested = input.userId, requested != reader.userId {
            guard reader.isAdmin else { throw InputError(status: .forbidden, field: "$.user_id", "only administrators may mint tokens for others") }
            guard try await directory.user(id: requested) != nil else {
                throw InputError(status: .unprocessableContent, field: "$.user_id", "no such user")
            }
            userId = requested
        }
        let minted = try await directory.createToken(
            userId: userId, label: input.label, scope: input.scope, expiresInDays: input.expiresInDays, actor: context.actor)
        return try .json(CreatedTokenDTO(token: TokenDTO(minted.token, now: services.clock.now()), secret: minted.secret), status: .created)
    }

    @Sendable func revokeToken(_ request: Request, context: AppContext) async throws -> Response {
        let reader = try context.requireWriter()
        let id = try context.parameters.require("id")
        guard let token = try await directory.token(id: id), reader.isAdmin || token.userId == reader.userId else {
            throw DomainError.notFound("token")
        }
        try await directory.revokeToken(id: id, actor: context.actor)
        return Response(status: .noContent)
    }

    // MARK: Audit

    @Sendable func listAudit(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireAdmin()
        let q = Query(request)
        let filter = AuditFilter(
            actor: try q.string("actor"), action: try q.string("action"), target: try q.string("target"),
            since: try q.date("since"), until: try q.date("until"),
            before: try q.int("before", range: 1...Int.max).map(Int64.init), limit: try q.int("limit", range: 1...500) ?? 50)
        let entries = try await AuditLog.list(services.db, filter: filter)
        let next = entries.count == filter.limit ? entries.last.map { $0.seq } : nil
        return try .json(AuditPage(items: entries.map(AuditEntryDTO.init), nextBefore: next))
    }

    @Sendable func auditHead(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireAdmin()
        let head = try await AuditLog.head(services.db)
        return try .json(AuditHeadDTO(seq: head.seq, hash: head.hash))
    }

    @Sendable func auditVerify(_ request: Request, context: AppContext) async throws -> Response {
        _ = try context.requireAdmin()
        switch try await AuditLog.verify(services.db) {
        case .valid(let entries, let head):
            return try .json(AuditVerifyDTO(valid: true, entries: entries, head: head, brokenAt: nil, reason: nil))
        case .broken(let seq, let reason):
            return try .json(AuditVerifyDTO(valid: false, entries: nil, head: nil, brokenAt: seq, reason: reason))
        }
    }

    func paging(_ request: Request) throws -> (Int, Int) {
        let q = Query(request)
        return (try q.int("limit", range: 1...500) ?? 50, try q.int("offset", range: 0...1_000_000) ?? 0)
    }
}
