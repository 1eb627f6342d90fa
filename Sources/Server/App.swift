// Building the application that ships: the router with its middleware and controllers, the
// services that run beside it, and graceful shutdown. `serve` and the tests call the same
// `buildApplication`, so the tests exercise exactly what runs in production.
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Mustache
import NIOCore
import Platform
import ServiceLifecycle

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    public var secureCookies: Bool

    public init(host: String = "127.0.0.1", port: Int = 8080, secureCookies: Bool = false) {
        self.host = host
        self.port = port
        self.secureCookies = secureCookies
    }
}

/// What the controllers share. Built once per application.
public struct AppServices: Sendable {
    public let db: any Database
    public let directory: Directory
    public let clock: Clock
    public let configuration: ServerConfiguration
    /// Seals secrets stored at rest (endpoint credentials, evidence files).
    public let secrets: SecretBox
    let metrics: AppMetrics
    let pages: Pages

    public init(db: any Database, directory: Directory, clock: Clock, configuration: ServerConfiguration, secrets: SecretBox) async throws {
        self.db = db
        self.directory = directory
        self.clock = clock
        self.configuration = configuration
        self.secrets = secrets
        self.metrics = AppMetrics(database: db)
        self.pages = try await Pages.load()
    }
}

/// Closes the database after the HTTP server has stopped (services shut down in reverse order, and
/// this one is registered first), so in-flight requests finish their writes.
struct DatabaseService: Service {
    let db: any Database
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        try await db.close()
        logger.info("database closed", metadata: ["database": "\(db.displayName)"])
    }
}

public func buildRouter(_ services: AppServices) -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware(renderPage: { status, message, context in
        services.pages.errorPage(status: status, message: message, context: context)
    }))
    router.add(middleware: TAXIIErrorMiddleware())
    router.add(middleware: AuthMiddleware(directory: services.directory))

    router.get("/healthz") { _, _ in Response.text("ok\n") }
    router.get("/readyz") { _, _ -> Response in
        do {
            try await Installation.migrator.checkCurrent(services.db)
            return Response.text("ready\n")
        } catch {
            return Response.text("not ready: \(error)\n", status: .serviceUnavailable)
        }
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: services.metrics.render())))
    }
    APIController(services: services).register(on: router.group("api/v1"))
    VulnerabilityController(services: services).register(on: router.group("api/v1"))
    IncidentController(services: services).register(on: router.group("api/v1"))
    EvalsAPIController(services: services).register(on: router.group("api/v1"))
    BenchmarksWebController(services: services).register(on: router)
    WebController(services: services).register(on: router)
    FrontierRoutes.register(services, api: router.group("api/v1"), web: router)
    TAXIIController(services: services).register(on: router)
    IncidentPages(services: services).register(on: router)
    ToolAccessPages(services: services).register(on: router)
    ToolAccessController(services: services).register(on: router.group("api/v1"))
    VulnerabilityPages(services: services).register(on: router)
    RemediationController(services: services).register(on: router.group("api/v1"))
    DefenderHomeController(services: services).register(on: router.group("api/v1"))
    DefenderPages(services: services).register(on: router)
    return router
}

public func buildApplication(_ services: AppServices, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
    -> some ApplicationProtocol
{
    var app = Application(
        router: buildRouter(services),
        configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: nil),
        onServerRunning: onServerRunning,
        logger: logger)
    app.addServices(DatabaseService(db: services.db, logger: logger))
    return app
}

struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AppContext

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] = "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        }
        if context.reader != nil, response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

extension Response {
    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
