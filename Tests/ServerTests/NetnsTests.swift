import Foundation
import TestSupport
import XCTest

/// deploy/netns.sh: three workers and the server in separate network namespaces, joined by a bridge, so the
/// ring crosses real (virtual) links (acceptance 6). Needs root; skipped with the reason otherwise.
final class NetnsTests: XCTestCase {
    static let script = TestPaths.packageRoot.appendingPathComponent("deploy/netns.sh").path

    func testCompletionThroughWorkersInSeparateNamespaces() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        try skipUnlessNamespacesWork()
        let prefix = "bt\(getpid() % 100_000)"
        let environment = ["BATON_NETNS_PREFIX": prefix, "BATON_RUN_DIR": NSTemporaryDirectory() + "baton-netns-\(prefix)"]
        defer { _ = try? run([Self.script, "down"], environment: environment) }
        let up = try run([Self.script, "up", "-n", "3", "-m", TestPaths.model, "--bin", WorkerProcess.binary], environment: environment)
        XCTAssertEqual(up.status, 0, up.output)
        XCTAssertTrue(up.output.contains("tcp://10.77.0.13:7101"), up.output)

        let prompt = "The capital of France is"
        let body = "{\"prompt\":\"\(prompt)\",\"max_tokens\":8,\"temperature\":0}"
        let reply = try run([Self.script, "post", "/v1/completions", body], environment: environment)
        XCTAssertEqual(reply.status, 0, reply.output)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.output.utf8)) as? [String: Any], reply.output)
        XCTAssertEqual(API.text(json), try GenerateOutput.run(prompt: prompt, maxTokens: 8).text)
        let health = try run([Self.script, "status"], environment: environment)
        XCTAssertTrue(health.output.contains("\"status\":\"ok\"") && health.output.contains("10.77.0.12"), health.output)
    }

    /// Root, iproute2, and a namespace that can really be made; otherwise a skip that says why.
    private func skipUnlessNamespacesWork() throws {
        var reason: String?
        if getuid() != 0 {
            reason = "not root"
        } else if let probe = try? run(["/bin/sh", "-c", "ip netns add btprobe$$ && ip netns del btprobe$$"]), probe.status != 0 {
            reason = "cannot create a network namespace: \(probe.output.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        if let reason {
            print("NetnsTests skipped: \(reason)")
            throw XCTSkip("network namespaces unavailable: \(reason)")
        }
    }

    /// Runs a command to completion with posix_spawn and waitpid. Not Foundation's Process: it decides that a
    /// child has exited when a descriptor it passes down is closed, and the daemons the script starts in the
    /// background inherit that descriptor, so it would wait for them too. Output goes through a file.
    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let path = NSTemporaryDirectory() + "netns-test-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process (its stdout pipe to swift-test, sockets) leaks into the daemons.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? []
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        let argv = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, envp)
        guard spawned == 0 else { throw HTTPTestError("posix_spawn failed: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }
}
