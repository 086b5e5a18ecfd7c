import Foundation
import TestSupport
import XCTest

/// A cluster started on first use and shared by the tests of one class (shut down in its class tearDown).
final class ClusterFixture: @unchecked Sendable {
    private let make: () throws -> ServedCluster
    private let lock = NSLock()
    private var result: Result<ServedCluster, any Error>?

    init(_ make: @escaping () throws -> ServedCluster) { self.make = make }

    func get() throws -> ServedCluster {
        lock.lock()
        defer { lock.unlock() }
        if result == nil { result = Result { try make() } }
        return try result!.get()
    }

    func api() throws -> API { API(port: try get().port) }

    func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        if case .success(let cluster)? = result { cluster.shutdown() }
        result = nil
    }
}

/// `baton generate --json` in one process (no workers), for reference outputs.
struct GenerateOutput: Decodable {
    let prompt_tokens: [Int32]
    let tokens: [Int32]
    let text: String
    let finish_reason: String

    static func run(prompt: String, maxTokens: Int) throws -> GenerateOutput {
        let run = try BatonRun.run(["generate", "-m", TestPaths.model, "-p", prompt, "-n", "\(maxTokens)", "--temperature", "0",
                                "--threads", "1", "--json"])
        guard run.status == 0 else { throw HTTPTestError("baton generate exited with \(run.status): \(run.stderr)") }
        return try JSONDecoder().decode(GenerateOutput.self, from: run.output)
    }
}
