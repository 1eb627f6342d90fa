// The defenders stores name invalid fields bare (`started_at`, `capabilities[1]`); the JSON API
// names them as JSON paths into the request body (`$.started_at`).
import Platform

func withJSONPaths<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch DomainError.invalid(let field, let reason) {
        throw DomainError.invalid(field: field.hasPrefix("$") ? field : "$." + field, reason: reason)
    }
}
