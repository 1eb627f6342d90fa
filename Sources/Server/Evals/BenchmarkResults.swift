// How benchmark results reach the frontier program, in both directions:
// - a queued run's `model_version_ref` and `inquiry_ref` are checked against the frontier tables
//   (through `FrontierStore`, so the reader must be able to see the version or inquiry);
// - `EvalRunStore` answers `CapabilityScoreSource`, the protocol the frontier store asks when it
//   assesses a version, so the EO 14409 capability criteria read stored run results without the
//   Frontier module importing Benchmarks.
import Benchmarks
import Foundation
import Frontier
import Platform

extension EvalRunStore: CapabilityScoreSource {
    /// For each suite, the latest finished run of the version the reader may see, with its interval.
    public func capabilityScores(_ reader: Reader, versionId: String) async throws -> [CapabilityScore] {
        try await latestResults(reader: reader, modelVersionRef: versionId).compactMap { run in
            guard let score = run.score else { return nil }
            return CapabilityScore(suite: run.suite.name, score: score, ciLow: run.ciLow ?? score, ciHigh: run.ciHigh ?? score,
                                   source: "benchmark run \(run.id) (\(run.suite.name) version \(run.suite.version), \(run.model))")
        }
    }
}

enum EvalRunReferences {
    static func frontierStore(_ services: AppServices) throws -> FrontierStore {
        try FrontierStore(db: services.db, secrets: services.secrets, settings: try FrontierRoutes.settings(),
                          scoreSource: EvalRunStore(db: services.db))
    }

    /// Resolves and checks the references a queued run carries. An inquiry alone implies its version;
    /// both given must agree. A version or inquiry the reader may not see is refused like a missing one.
    static func resolve(_ services: AppServices, reader: Reader, modelVersionRef: String?, inquiryRef: String?,
                        fieldPrefix: String = "$.") async throws -> (version: String?, inquiry: String?) {
        let store = try frontierStore(services)
        var version = modelVersionRef
        if let ref = modelVersionRef {
            do { _ = try await store.version(reader, id: ref) } catch DomainError.notFound {
                throw DomainError.invalid(field: fieldPrefix + "model_version_ref", reason: "no frontier model version with this id that you may see")
            }
        }
        if let ref = inquiryRef {
            let inquiry: InquiryRecord
            do { inquiry = try await store.inquiry(reader, id: ref) } catch DomainError.notFound {
                throw DomainError.invalid(field: fieldPrefix + "inquiry_ref", reason: "no coverage inquiry with this id that you may see")
            }
            if let version, version != inquiry.versionId {
                throw DomainError.invalid(field: fieldPrefix + "inquiry_ref", reason: "the inquiry concerns a different model version")
            }
            version = inquiry.versionId
        }
        return (version, inquiryRef)
    }

    /// The capability criteria of the current EO 14409 policy (empty until the government sets thresholds).
    static func eo14409(_ services: AppServices, at now: Date) async throws -> ThresholdPolicy? {
        try await frontierStore(services).policySet().currentPolicies(asOf: now).first { $0.id == "eo-14409" }
    }
}
