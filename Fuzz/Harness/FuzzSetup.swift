import Foundation
import Logging

/// What every fuzzer process does once before its first input.
public enum FuzzSetup {
    /// Log lines for every refused input would cost more than the input itself.
    public static func silenceLogs() {
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
    }

    /// A fresh directory for this process's files ($BATON_FUZZ_SCRATCH or the temporary directory).
    public static func scratchDirectory(_ name: String) -> String {
        let root = ProcessInfo.processInfo.environment["BATON_FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
        return root + "/baton-fuzz-\(name)-\(getpid())"
    }
}
