// The request context every route sees: the authenticated reader (if any), how they authenticated,
// and the client's address. Handlers ask it for the identity instead of reading loose storage.
import Foundation
import Hummingbird
import NIOCore
import Platform

public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is asking; nil for anonymous requests.
    public var reader: Reader?
    /// Set when the request authenticated with a web session cookie (the cookie's secret).
    public var sessionSecret: String?
    /// The client's address, used for login throttling.
    public let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// JSON bodies above this answer 413 before anything is decoded.
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The reader, or a 401 for anonymous requests.
    public func requireReader() throws -> Reader {
        guard let reader else { throw DomainError.unauthenticated }
        return reader
    }

    public func requireAdmin() throws -> Reader {
        let reader = try requireReader()
        guard reader.isAdmin else { throw DomainError.forbidden("administrators only") }
        return reader
    }

    public func requireWriter() throws -> Reader {
        let reader = try requireReader()
        guard reader.mayWrite else { throw DomainError.forbidden("this token may only read") }
        return reader
    }

    /// The audit log's name for the reader: `user:ID`.
    public var actor: String { reader.map { "user:\($0.userId)" } ?? "anonymous" }
}
