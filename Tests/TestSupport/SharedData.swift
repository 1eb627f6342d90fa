// Locates the project's shared, read-only data (../shared/data beside the repository, or the folder
// named by CLEARINGHOUSE_DATA). Tests that need it are skipped with a message when it is missing;
// CI always has it. The data is read in place, never copied into the project.
import Foundation

public enum SharedData {
    public static let root: URL? = {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["CLEARINGHOUSE_DATA"], !env.isEmpty {
            var isDirectory: ObjCBool = false
            // A named folder that does not exist means "no data": tests skip rather than fail.
            return fm.fileExists(atPath: env, isDirectory: &isDirectory) && isDirectory.boolValue
                ? URL(fileURLWithPath: env, isDirectory: true) : nil
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/data", isDirectory: true)
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()
}
