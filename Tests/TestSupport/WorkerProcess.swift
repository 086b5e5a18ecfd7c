import Foundation

/// A real `baton worker` child process on 127.0.0.1 with an OS-chosen port, for multi-process tests.
public final class WorkerProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var controlEndpoint = ""
    public private(set) var dataEndpoint = ""
    private let output = Pipe()

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
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["worker", "--listen", listen, "--threads", "\(threads)", "--log-level", "warning", "--exit-with-parent"] + extra
        process.standardOutput = output
        try process.run()
        // Read stdout on another thread so a silent child cannot block the test past the deadline.
        let found = DispatchSemaphore(value: 0)
        let handle = output.fileHandleForReading
        let line = LockedLine()
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer += chunk
                if let ready = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("ready ") }) {
                    line.set(String(ready))
                    break
                }
            }
            found.signal()
        }
        guard found.wait(timeout: .now() + 20) == .success, let ready = line.get() else {
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
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { kill() }
}

public struct WorkerProcessError: Error, CustomStringConvertible {
    public let description: String
}

private final class LockedLine: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    func set(_ v: String) { lock.lock(); value = v; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}
