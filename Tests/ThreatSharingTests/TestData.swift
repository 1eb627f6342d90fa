// Locates the shared read-only data folder (../shared/data) for tests that read real files.
import Foundation
import TestSupport

enum TestData {
    /// `CLEARINGHOUSE_DATA` if set, else the first `shared/data` found walking up from this file.
    static var root: URL? { SharedData.root }

    static var icsAttackBundle: URL? { root?.appendingPathComponent("stix/ics-attack-18.1.json") }
}
