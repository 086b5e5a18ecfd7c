import Foundation

/// A real `baton worker` child process on 127.0.0.1 with an OS-chosen port, for multi-process tests.
public final class WorkerProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var controlEndpoint = ""
    public private(set) var dataEndpoint = ""
    /// Extra command-line arguments it was started with (e.g. --cache-dir), reused by a restart.
    public let extra: [String]
    private let output = Pipe()
    private let exit: ChildExit

    /// The `baton` binary: $BATON_BIN (set by scripts/test.sh), else next to the test bundle.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["BATON_BIN"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("baton").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return TestPaths.packageRoot.appendingPathComponent(".build-test/release/baton").path
    }

    /// Starts a worker and waits (up to 20 s) for its "ready" line.
    public init(listen: String = "tcp://127.0.0.1:*", threads: Int = 1, extra: [String] = []) throws {
        self.extra = extra
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["worker", "--listen", listen, "--threads", "\(threads)", "--log-level", "warning", "--exit-with-parent"] + extra
        process.standardOutput = output
        exit = ChildExit(process)
        try process.run()
        guard let ready = firstLine(from: output, prefix: "ready ", timeout: 20) else {
            kill()
            throw WorkerProcessError(description: "worker \(Self.binary) did not print its ready line within 20 s")
        }
        for field in ready.split(separator: " ") {
            if field.hasPrefix("control=") { controlEndpoint = String(field.dropFirst(8)) }
            if field.hasPrefix("data=") { dataEndpoint = String(field.dropFirst(5)) }
        }
    }

    /// Kills the process at once (a crash, as far as its peers can tell).
    public func kill() {
        exit.end(process, signal: SIGKILL, grace: 30, what: "worker")
    }

    /// Sends `signal` and returns at once.
    public func signal(_ signal: Int32) { Foundation.kill(process.processIdentifier, signal) }

    /// How the process ended, waiting up to `timeout`; nil if it still runs.
    public func ending(within timeout: TimeInterval) -> ChildExit.Ending? {
        exit.wait(process, timeout: timeout) ? exit.ending : nil
    }

    /// SIGTERM, as systemd would; a worker still running 10 s later is killed.
    public func stop() {
        exit.end(process, signal: SIGTERM, grace: 10, what: "worker")
    }

    deinit { kill() }
}

public struct WorkerProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

