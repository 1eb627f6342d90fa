// Locates the shared read-only data folder (`shared/data`) for tests that read real files in place.
import Foundation
import TestSupport

enum TestData {
    static var root: URL? { SharedData.root }

    static func path(_ relative: String) -> String? {
        root?.appendingPathComponent(relative).path
    }

    /// Folder of the fixtures this test target writes itself.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
}
