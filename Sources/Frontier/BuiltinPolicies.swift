// The threshold policies shipped with Clearinghouse: one JSON document per policy in
// `Sources/Frontier/Policies/` (version 1 each), bundled as the module's resources and read at
// start. Those files are the single copy of the data; `PolicySet.builtin()` parses them, and an
// administrator supersedes any of them at run time by loading a newer version of a document.
// Citations and the reading behind each counting rule are in each document's `source`, `notes`
// and `reason` fields so that they travel with every verdict.

import Foundation

enum BuiltinPolicies {
    /// The order in which policies are listed in every assessment.
    static let ids = ["eo-14110", "eu-ai-act", "ca-sb53", "ny-raise", "eo-14409"]

    /// The documents' text, in `ids` order. A missing file is a broken build or installation (the
    /// bundle travels next to the binary), so it is left out here and `PolicySet.builtin()` fails
    /// loudly when a shipped id is absent.
    static let documents: [String] = ids.compactMap { id in
        guard let url = Bundle.module.url(forResource: id, withExtension: "json", subdirectory: "Policies") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }
}

/// The shipped policy documents as text, so an administrator (or a test) can start a new version
/// from the current one.
public enum FrontierPolicyDocuments {
    public static var ids: [String] { (try? PolicySet.builtin().ids) ?? [] }

    /// The shipped document of `id`, or empty data for an unknown id.
    public static func builtin(id: String) -> Data {
        let prefix = "\"id\": \"\(id)\""
        return Data((BuiltinPolicies.documents.first { $0.contains(prefix) } ?? "").utf8)
    }
}
