// Locates the shared read-only data folder (../shared/data) for tests that read real files in place.

import Foundation
import TestSupport
import Testing

enum TestData {
    /// `CLEARINGHOUSE_DATA` if set, else the first `shared/data` found walking up from this file.
    static var root: URL? { SharedData.root }

    static func url(_ relative: String) -> URL? {
        root?.appendingPathComponent(relative)
    }

    /// Non-empty lines of a text file under the data root.
    static func lines(_ relative: String) throws -> [String] {
        let file = try #require(Self.url(relative), "missing \(relative) under the data folder")
        return try String(contentsOf: file, encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Rows of a simple CSV file (no quoted commas in the files we read), header first.
    static func csv(_ relative: String) throws -> [[String]] {
        try lines(relative).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}
