import Coordinator
import TestSupport
import Wire
import Engine
import XCTest

/// Each bad input gets a typed error, and the same worker and coordinator serve a normal request afterwards.
final class BadInputTests: XCTestCase {
    var cluster: Cluster!
    var pipeline: RemotePipeline!
    var prompt: [Int32] = []
    var expected: [Int32] = []

    override func setUp() async throws {
        cluster = try Cluster(workers: 2)
        pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 64)
        prompt = cluster.tokenizer.encode("The capital of France is")
        expected = try await cluster.generate(try cluster.localPipeline(context: 64), prompt: prompt, maxTokens: 8)
    }

    override func tearDown() {
        pipeline = nil
        cluster = nil
    }

    private func assertStillServes(file: StaticString = #filePath, line: UInt = #line) async throws {
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(got, expected, "normal request after the bad one", file: file, line: line)
    }

    private func rawControl(_ worker: Int) throws -> Connection {
        let connection = try Connection(context: try ZMQContext(), endpoint: cluster.workers[worker].controlEndpoint)
        _ = try connection.hello(peerID: "test", timeout: .seconds(2))
        return connection
    }

    func testMalformedAndOversizedControlMessagesAreRefused() async throws {
        let raw = try rawControl(0)
        try raw.socket.send([0xFF, 0x13, 0x37, 0x00, 0x42], timeout: .seconds(1))
        let reply = try raw.socket.receiveMessage(timeout: .seconds(2))
        guard case .error(let e) = reply else { return XCTFail("expected Error, got \(reply.kind)") }
        XCTAssertEqual(e.code, .badRequest)
        // Over ZMQ_MAXMSGSIZE: the worker's socket drops the connection instead of reading it.
        try? raw.socket.send([UInt8](repeating: 7, count: Envelope.defaultMaxSize + 1024), timeout: .seconds(1))
        try await assertStillServes()
    }

    func testUnknownSessionAndBadHiddenStatesComeBackAsErrors() async throws {
        let ctx = try ZMQContext()
        let results = try ctx.socket(.pull)
        let endpoint = try results.bind("tcp://127.0.0.1:*")
        let toStage1 = try ctx.socket(.push)
        try toStage1.connect(cluster.workers[1].dataEndpoint)
        _ = endpoint
        // Stage 1 forwards its Error toward the coordinator's result socket, which reports it to nobody
        // waiting; what matters is that the stage survives and the next request is served.
        let wrong = Forward(sessionID: 999, step: 1, startPosition: 0, tokens: [1, 2],
                            hidden: HiddenStates(nEmbd: 576, values: [Float](repeating: 0, count: 576)), sample: true)
        try toStage1.send(.forward(wrong), timeout: .seconds(1))
        try toStage1.send([0x00, 0x01, 0x02], timeout: .seconds(1))
        try await Task.sleep(for: .milliseconds(200))
        try await assertStillServes()
    }

    func testPromptLongerThanContextIsRejectedBeforeAnythingIsSent() async throws {
        let long = [Int32](repeating: 504, count: 65)
        do {
            _ = try await cluster.generate(pipeline, prompt: long, maxTokens: 4)
            XCTFail("expected an error")
        } catch let error as GenerationError {
            XCTAssertEqual(error, .promptTooLong(promptTokens: 65, contextLength: 64))
            XCTAssertTrue("\(error)".contains("65") && "\(error)".contains("64"))
        }
        try await assertStillServes()
    }

    func testGenerationStopsAtTheEndOfTheContext() async throws {
        let got = try await cluster.generate(pipeline, prompt: [Int32](repeating: 504, count: 60), maxTokens: 100)
        XCTAssertEqual(got.count, 4, "60 prompt positions + 4 generated fill a 64-position context")
        try await assertStillServes()
    }

    func testBadLayerRangeAndUnreadableModelFailToLoad() async throws {
        let raw = try rawControl(0)
        func load(_ path: String, _ begin: UInt32, _ end: UInt32) -> ErrorMessage? {
            let request = LoadStage(modelPath: path, modelSHA256: "", layerBegin: begin, layerEnd: end, isFirst: true,
                                    isLast: false, contextLength: 64, kvType: .f16, maxSessions: 4,
                                    nextHop: cluster.workers[1].dataEndpoint, stageIndex: 0, stageCount: 2)
            do { _ = try raw.request(.loadStage(request), timeout: .seconds(10)); return nil } catch {
                if case .remote(let e) = error { return e }
                return ErrorMessage(code: .unknown, message: "\(error)")
            }
        }
        let range = load(TestPaths.model, 20, 40)
        // A context and session count of 2³²−1 overflow the footprint's products: refused as over budget, no trap.
        var huge = LoadStage(modelPath: TestPaths.model, modelSHA256: "", layerBegin: 0, layerEnd: 15, isFirst: true,
                             isLast: false, contextLength: .max, kvType: .f16, maxSessions: .max,
                             nextHop: cluster.workers[1].dataEndpoint, stageIndex: 0, stageCount: 2)
        huge.threads = 0
        do { _ = try raw.request(.loadStage(huge), timeout: .seconds(10)); XCTFail("a 2³²−1 context loaded") } catch {
            guard case .remote(let e) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(e.message.contains("--max-memory"), e.message)
        }
        XCTAssertEqual(range?.code, .loadFailed)
        XCTAssertTrue(range?.message.contains("0..<30") ?? false, range?.message ?? "")
        let missing = load("/nonexistent/model.gguf", 0, 15)
        XCTAssertEqual(missing?.code, .loadFailed)
        XCTAssertTrue(missing?.message.contains("/nonexistent/model.gguf") ?? false, missing?.message ?? "")
        // A failed load leaves the running stage untouched: the pipeline serves on without being set up again.
        try await assertStillServes()
    }

    func testDeadWorkerIsReportedQuicklyAndARestartedOneServesAgain() async throws {
        let long = try await cluster.pipeline(try cluster.evenPlan(2), context: 4096)
        let counting = cluster.tokenizer.encode("1, 2, 3, 4,")
        let generation = Task { [cluster] in try await cluster!.generate(long, prompt: counting, maxTokens: 4000) }
        try await Task.sleep(for: .milliseconds(300))
        cluster.workers[1].kill()
        let killedAt = ContinuousClock.now
        do {
            _ = try await generation.value
            XCTFail("generation should fail when a stage dies")
        } catch {
            let waited = ContinuousClock.now - killedAt
            XCTAssertLessThan(waited, .seconds(2), "reported after \(waited)")
            XCTAssertTrue("\(error)".contains("stage 1"), "\(error)")
        }
        try cluster.restart(1)
        try await assertStillServes()
    }
}

extension BadInputTests {
    /// Issue 16: with --recover-timeout, a request whose worker dies mid-stream waits for it to come back,
    /// re-evaluates its tokens there and goes on: the greedy tokens are those of an undisturbed run.
    func testARequestSurvivesItsWorkerRestartingWithIdenticalTokens() async throws {
        let prompt = cluster.tokenizer.encode("1, 2, 3, 4,")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 1024), prompt: prompt, maxTokens: 600)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 1024) { $0.recoverTimeout = .seconds(30) }
        let generation = Task { [cluster] in try await cluster!.generate(pipeline, prompt: prompt, maxTokens: 600) }
        try await Task.sleep(for: .milliseconds(400))
        try cluster.restart(1)
        let got = try await generation.value
        XCTAssertEqual(got, expected, "the stream resumed where it was, with the same tokens")
        // The restarted worker computed part of this stream (the restart came while it was running).
        let forwards = try await pipeline.stageHealth()[1].forwardsDone
        XCTAssertGreaterThan(forwards, 0)
    }
}
