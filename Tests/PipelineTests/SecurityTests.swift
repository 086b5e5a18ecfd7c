@testable import Coordinator
import Sampling
import TestSupport
import Wire
import Worker
import XCTest

/// Issue 15 against real `baton worker` processes with CURVE keys: attackers speaking the real protocol from their own
/// ZeroMQ context are refused — without a key, with a wrong key, and (with an authorized key) when they try to take
/// over a loaded stage — and the legitimate coordinator's greedy output is unchanged afterwards.
final class SecurityTests: XCTestCase {
    var keys: TestKeys!
    var cluster: Cluster!
    var pipeline: RemotePipeline!
    var prompt: [Int32] = []
    var expected: [Int32] = []

    override func setUp() async throws {
        keys = try TestKeys()
        cluster = try Cluster(workers: 2, perWorker: keys.workerArguments)
        pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 64) { [keys] in $0.security = keys!.pipelineSecurity }
        prompt = cluster.tokenizer.encode("The capital of France is")
        expected = try await cluster.generate(try cluster.localPipeline(context: 64), prompt: prompt, maxTokens: 8)
    }

    override func tearDown() {
        pipeline = nil
        cluster = nil
        keys.remove()
    }

    private func assertStillServes(file: StaticString = #filePath, line: UInt = #line) async throws {
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(got, expected, "the legitimate coordinator's greedy output", file: file, line: line)
    }

    /// A control connection from a context of its own; `as` nil = no CURVE at all.
    private func attacker(_ worker: Int, as pair: CurveKeyPair?) throws -> Connection {
        var options = ZMQSocketOptions.control
        if let pair { options.curve = .client(pair, serverKey: keys.workers[worker].publicKey) }
        return try Connection(context: try ZMQContext(), endpoint: cluster.workers[worker].controlEndpoint, options: options)
    }

    private func assertRefused(_ connection: Connection, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try connection.hello(peerID: "attacker", timeout: .milliseconds(800))
            XCTFail("\(what): the worker answered Hello", file: file, line: line)
        } catch {
            guard case .timeout = error else { return XCTFail("\(what): \(error)", file: file, line: line) }
        }
    }

    func testKeyedPipelineGivesTheOneProcessOutput() async throws {
        try await assertStillServes()
    }

    func testPeersWithoutAKeyOrWithAnUnlistedKeyGetNoAnswer() async throws {
        assertRefused(try attacker(0, as: nil), "no CURVE")
        assertRefused(try attacker(0, as: try CurveKeyPair.generate()), "an unlisted key")
        // Pinning the wrong server key: the attacker's own socket refuses the real worker.
        var pinned = ZMQSocketOptions.control
        pinned.curve = .client(keys.coordinator, serverKey: keys.workers[1].publicKey)
        assertRefused(try Connection(context: try ZMQContext(), endpoint: cluster.workers[0].controlEndpoint, options: pinned),
                      "the coordinator's key against a wrongly pinned server key")
        try await assertStillServes()
    }

    func testForgedDataFromOtherKeysIsNeverComputed() async throws {
        try await assertStillServes()
        let before = try await pipeline.stageHealth()[1].forwardsDone
        let context = try ZMQContext()
        let hidden = HiddenStates(nEmbd: UInt32(cluster.config.embeddingLength),
                                  values: [Float](repeating: 0.5, count: prompt.count * cluster.config.embeddingLength))
        let forged = Forward(sessionID: 1, step: 1, startPosition: 0, tokens: prompt, hidden: hidden, sample: true)
        // Without CURVE, and with a key of its own that is not stage 0's: stage 1's data socket admits neither.
        for pair in [nil, try CurveKeyPair.generate()] as [CurveKeyPair?] {
            var options = ZMQSocketOptions()
            if let pair { options.curve = .client(pair, serverKey: keys.workers[1].publicKey) }
            let push = try context.socket(.push, options: options)
            try push.connect(cluster.workers[1].dataEndpoint)
            try? push.send(.forward(forged), timeout: .milliseconds(300))
        }
        try await Task.sleep(for: .milliseconds(500))
        let after = try await pipeline.stageHealth()[1].forwardsDone
        XCTAssertEqual(after, before, "stage 1 computed a forged Forward")
        try await assertStillServes()
    }

    func testAnotherAuthorizedCoordinatorCannotHijackTheLoadedStage() async throws {
        let intruder = try attacker(0, as: keys.secondCoordinator)
        _ = try intruder.hello(peerID: "second coordinator", timeout: .seconds(2))
        let trap = try ZMQContext().socket(.pull)
        let trapEndpoint = try trap.bind("tcp://127.0.0.1:*")
        var hijack = pipeline.loadRequest(stage: 0, nextHop: trapEndpoint)
        hijack.nextHopPublicKey = keys.secondCoordinator.publicKey.bytes
        let requests: [WireMessage] = [.loadStage(hijack), .openSession(OpenSession(sessionID: 77, contextLength: 64)),
                                       .closeSession(CloseSession(sessionID: 1))]
        for request in requests {
            do {
                _ = try intruder.request(request, timeout: .seconds(10))
                XCTFail("\(request.kind) from a key that does not own the stage was accepted")
            } catch {
                guard case .remote(let e) = error else { XCTFail("\(request.kind): \(error)"); continue }
                XCTAssertEqual(e.code, .permissionDenied, e.message)
                XCTAssertTrue(e.message.contains(keys.coordinator.publicKey.z85), e.message)
            }
        }
        try await assertStillServes()
        XCTAssertThrowsError(try trap.receive(timeout: .milliseconds(200)), "the hijacker's socket received data")
    }
}

/// Key pairs for a test: the coordinator, a second coordinator both workers also authorize, and one per worker.
struct TestKeys {
    let directory: URL
    let coordinator: CurveKeyPair
    let secondCoordinator: CurveKeyPair
    let workers: [CurveKeyPair]
    let authorizedKeys: String

    init(workers count: Int = 2) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-keys-\(UUID().uuidString)")
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        coordinator = try KeyFiles.generate(secretPath: path("coordinator.key"))
        secondCoordinator = try KeyFiles.generate(secretPath: path("second.key"))
        workers = try (0..<count).map { try KeyFiles.generate(secretPath: path("worker\($0).key")) }
        authorizedKeys = path("authorized_keys")
        let lines = "# coordinators allowed on these workers\n\(coordinator.publicKey.z85) coordinator\n"
            + "\(secondCoordinator.publicKey.z85) second\n"
        try lines.write(toFile: authorizedKeys, atomically: true, encoding: .utf8)
    }

    func workerArguments(_ i: Int) -> [String] {
        ["--key", directory.appendingPathComponent("worker\(i).key").path, "--authorized-keys", authorizedKeys]
    }

    var pipelineSecurity: PipelineSecurity {
        PipelineSecurity(keys: coordinator, workerKeys: workers.map(\.publicKey))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
