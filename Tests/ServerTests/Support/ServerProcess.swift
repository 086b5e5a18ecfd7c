import Foundation
import TestSupport
import XCTest

/// A real `baton serve` child process on 127.0.0.1, port chosen by the OS (learned from its ready line).
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let output = Pipe()
    private let exit: ChildExit

    /// Starts the server and waits for its "listening" line; with `waitReady`, also for /health to answer 200.
    init(workers: [String], extra: [String] = [], environment: [String: String] = [:], waitReady: Bool = true) throws {
        process.executableURL = URL(fileURLWithPath: WorkerProcess.binary)
        process.arguments = ["serve", "-m", TestPaths.model, "--workers", workers.joined(separator: ","), "--port", "0",
                             "--log-level", "warning", "--exit-with-parent"] + extra
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "BATON_API_KEY")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        exit = ChildExit(process)
        try process.run()
        port = try readPort()
        if waitReady { try waitForHealth() }
    }

    private func readPort() throws -> Int {
        guard let ready = firstLine(from: output, prefix: "listening ", timeout: 30),
              let port = ready.split(separator: ":").last.flatMap({ Int($0) }) else {
            kill()
            throw HTTPTestError("baton serve did not print its listening line within 30 s")
        }
        return port
    }

    /// Polls /health until 200 (every stage loaded).
    func waitForHealth(timeout: TimeInterval = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let reply = try? http(port, "GET", "/health"), reply.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw HTTPTestError("/health did not answer 200 within \(Int(timeout)) s")
    }

    func kill() {
        exit.end(process, signal: SIGKILL, grace: 30, what: "baton serve")
    }

    /// SIGTERM, as systemd or Ctrl-C would; returns the exit status (-1 if it would not end).
    @discardableResult
    func stop() -> Int32 {
        exit.end(process, signal: SIGTERM, grace: 30, what: "baton serve")
        return exit.ending?.shellStatus ?? -1
    }

    deinit { kill() }
}

/// Workers plus a server over them.
final class ServedCluster: @unchecked Sendable {
    let workers: [WorkerProcess]
    let server: ServerProcess

    init(workers count: Int, serverArguments: [String] = [], environment: [String: String] = [:]) throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        workers = try (0..<count).map { _ in try WorkerProcess() }
        server = try ServerProcess(workers: workers.map(\.controlEndpoint), extra: serverArguments, environment: environment)
    }

    var port: Int { server.port }

    func shutdown() {
        server.stop()
        workers.forEach { $0.stop() }
    }
}
