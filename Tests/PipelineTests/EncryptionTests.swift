@testable import Coordinator
import Sampling
import TestSupport
import Wire
import Worker
import XCTest

/// Issue 15, acceptance 2: what an observer of the link between two stages sees. The test plays the coordinator over
/// the real protocol, routes stage 0 → stage 1 through a TCP relay that copies every byte, and looks for the prompt's
/// token ids as protobuf varints (Forward.tokens travels on every hop). Without keys they are there — so the check
/// can fail — and with keys they are not, while the sampled token is the same.
final class EncryptionTests: XCTestCase {
    func testStageTrafficShowsThePromptOnlyWithoutKeys() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let plain = try relayedRun(keys: nil)
        let keys = try TestKeys()
        defer { keys.remove() }
        let keyed = try relayedRun(keys: keys)
        let needle = plain.promptVarints
        XCTAssertGreaterThanOrEqual(needle.count, 8, "too short a needle to tell ciphertext from plaintext")
        XCTAssertTrue(plain.captured.containsRun(needle), "without keys the relay should see the prompt's token ids")
        XCTAssertFalse(keyed.captured.containsRun(needle), "with keys the relay saw the prompt's token ids in clear")
        XCTAssertGreaterThan(keyed.captured.count, 4 * 576 * plain.prompt.count, "the hidden states did pass the relay")
        XCTAssertEqual(keyed.token, plain.token, "the same first token with and without encryption")
    }

    struct Run {
        var prompt: [Int32]
        var captured: [UInt8]
        var token: Int32?
        /// The prompt's token ids as packed protobuf varints, as a clear Forward carries them.
        var promptVarints: [UInt8] { prompt.flatMap(Self.varint) }

        static func varint(_ value: Int32) -> [UInt8] {
            var v = UInt64(UInt32(bitPattern: value)), out: [UInt8] = []
            repeat { out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0)); v >>= 7 } while v != 0
            return out
        }
    }

    /// Two workers (with `keys`' pairs, or none), stage 0's next hop through a relay; one greedy token of a prompt.
    private func relayedRun(keys: TestKeys?) throws -> Run {
        let cluster = try Cluster(workers: 2, perWorker: { keys?.workerArguments($0) ?? [] })
        let prompt = cluster.tokenizer.encode("The capital of France is Paris, and the capital of Italy is")
        let context = try ZMQContext()
        let authenticator = try keys.map { _ in try ZAPAuthenticator(context: context) }
        var resultOptions = ZMQSocketOptions()
        if let keys, let authenticator {
            resultOptions.curve = .server(keys.coordinator, authenticator.domain("results", allowing: [keys.workers[1].publicKey]))
        }
        let results = try context.socket(.pull, options: resultOptions)
        let resultsEndpoint = try results.bind("tcp://127.0.0.1:*")
        let dataPort = try XCTUnwrap(cluster.workers[1].dataEndpoint.split(separator: ":").last.flatMap { UInt16($0) })
        let relay = try TCPRelay(toPort: dataPort)
        defer { relay.stop() }
        let plan = try cluster.evenPlan(2)
        let links = try (0..<2).map { i in try control(cluster, worker: i, keys: keys, context: context) }
        // Last stage first, as the coordinator does: stage 0's PUSH connects once stage 1 admits its key.
        try load(links[1], cluster, plan, stage: 1, nextHop: resultsEndpoint,
                 keys: keys.map { ($0.workers[0].publicKey, $0.coordinator.publicKey) })
        try load(links[0], cluster, plan, stage: 0, nextHop: "tcp://127.0.0.1:\(relay.port)",
                 keys: keys.map { ($0.coordinator.publicKey, $0.workers[1].publicKey) })
        for link in links {
            _ = try link.request(.openSession(OpenSession(sessionID: 1, contextLength: 64, sampler: SamplerParameters.greedy.wire)),
                                 timeout: .seconds(5))
        }
        var pushOptions = ZMQSocketOptions()
        if let keys { pushOptions.curve = .client(keys.coordinator, serverKey: keys.workers[0].publicKey) }
        let toStage0 = try context.socket(.push, options: pushOptions)
        try toStage0.connect(cluster.workers[0].dataEndpoint)
        try toStage0.send(.forward(Forward(sessionID: 1, step: 1, startPosition: 0, tokens: prompt, sample: true)),
                          timeout: .seconds(5))
        let reply = try results.receiveMessage(timeout: .seconds(30))
        guard case .tokenResult(let result) = reply else { throw RelayError("expected a TokenResult, got \(reply.kind)") }
        return Run(prompt: prompt, captured: relay.bytes, token: result.token?.tokenID)
    }

    private func control(_ cluster: Cluster, worker i: Int, keys: TestKeys?, context: ZMQContext) throws -> Connection {
        var options = ZMQSocketOptions.control
        if let keys { options.curve = .client(keys.coordinator, serverKey: keys.workers[i].publicKey) }
        let connection = try Connection(context: context, endpoint: cluster.workers[i].controlEndpoint, options: options)
        _ = try connection.hello(peerID: "test coordinator", timeout: .seconds(5))
        return connection
    }

    private func load(_ link: Connection, _ cluster: Cluster, _ plan: StagePlan, stage i: Int, nextHop: String,
                      keys: (previous: CurveKey, next: CurveKey)?) throws {
        let spec = plan.spec(i)
        var request = LoadStage(modelPath: cluster.modelPath, modelSHA256: "", layerBegin: UInt32(spec.layers.lowerBound),
                                layerEnd: UInt32(spec.layers.upperBound), isFirst: spec.hasEmbedding, isLast: spec.hasHead,
                                contextLength: 64, kvType: .f16, maxSessions: 2, nextHop: nextHop, stageIndex: UInt32(i),
                                stageCount: 2)
        if let keys { (request.previousHopPublicKey, request.nextHopPublicKey) = (keys.previous.bytes, keys.next.bytes) }
        _ = try link.request(.loadStage(request), timeout: .seconds(60))
    }
}

extension Array where Element == UInt8 {
    func containsRun(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { start in self[start..<start + needle.count].elementsEqual(needle) }
    }
}
