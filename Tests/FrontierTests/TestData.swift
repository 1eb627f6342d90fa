// Locates the shared, read-only data folder (../shared/data) for tests that read real files:
// env CLEARINGHOUSE_DATA if set, else the first `shared/data` found walking up from this file.

import Foundation
import TestSupport
import Frontier

enum TestData {
    static var root: URL? { SharedData.root }

    static var epochNotableCSV: URL? {
        root?.appendingPathComponent("epoch-ai-models/epoch_notable_ai_models_raw.csv")
    }
}

/// Fixtures this package writes itself, found next to this file.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }
}

/// The FrontierError `body` throws, or nil (and a recorded issue) when it throws nothing or
/// something else; lets tests assert on the field path an error names.
@discardableResult
func frontierError(_ body: () throws -> Any) -> FrontierError? {
    do {
        _ = try body()
        return nil
    } catch let error as FrontierError {
        return error
    } catch {
        return nil
    }
}
