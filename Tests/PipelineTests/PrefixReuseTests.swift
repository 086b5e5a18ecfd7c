import Coordinator
import Engine
import Synchronization
import TestSupport
import XCTest

/// Prompt-prefix KV reuse over real workers (issue 17, acceptance 4): a chat's second turn starts from the first
/// turn's KV on every stage, gives the tokens a run without reuse gives, and the workers' prefix caches stay
/// within their bound (the least recently used cache is evicted).
final class PrefixReuseTests: XCTestCase {
    /// Each stage of 15 layers at context 2048 keeps 23.6 MB of f16 KV per session: 30 MiB holds one.
    static let cacheMB = 30

    private var cluster: Cluster!

    func testASecondTurnStartsFromTheFirstTurnsCacheAndGivesTheSameTokens() async throws {
        cluster = try Cluster(workers: 2, extra: ["--prefix-cache-mb", "\(Self.cacheMB)", "--max-memory", "500MB"])
        let system = cluster.tokenizer.encode(String(repeating: "Baton splits a language model over machines. ", count: 120))
        XCTAssertGreaterThan(system.count, 1000)
        let turn1 = system + cluster.tokenizer.encode(" Question: what does it split?")
        let turn2 = system + cluster.tokenizer.encode(" Question: how many machines?")
        let reused = Mutex<[Int]>([])
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 2048) {
            $0.onPrefixReuse = { n in reused.withLock { $0.append(n) } }
            $0.maxSessions = 4
        }
        // The single-process engine evaluates the whole prompt (a pipeline gives its tokens: StageCountTests).
        let expected = try await generate(try cluster.localPipeline(context: 2048), turn2)

        let first = try await generate(pipeline, turn1)
        XCTAssertEqual(reused.withLock { $0 }, [], "nothing to reuse yet")
        let second = try await generate(pipeline, turn2)
        XCTAssertEqual(second.tokens, expected.tokens, "the second turn's tokens equal a run that evaluates its whole prompt")
        let positions = try XCTUnwrap(reused.withLock { $0.first })
        XCTAssertGreaterThanOrEqual(positions, system.count, "the shared prefix came from the first turn's cache")
        print("prefix reuse: \(positions) of \(turn2.count) prompt tokens reused; time to first token "
              + "\(Int(first.promptMilliseconds)) ms → \(Int(second.promptMilliseconds)) ms "
              + "(\(String(format: "%.2f", second.promptMilliseconds / first.promptMilliseconds))×)")

        // A third, unrelated session closes after the second: each stage's pool holds one cache, so the oldest
        // (the first turn's) is gone, and a request sharing only its prefix is evaluated from scratch and right.
        _ = try await generate(pipeline, cluster.tokenizer.encode(String(repeating: "Unrelated words here. ", count: 30)))
        for health in try await pipeline.stageHealth() {
            XCTAssertLessThanOrEqual(health.prefixCacheEntries, 1)
            XCTAssertLessThanOrEqual(health.prefixCacheBytes, UInt64(Self.cacheMB) << 20)
            XCTAssertGreaterThanOrEqual(health.prefixReuses, 1)
        }
        let again = try await generate(pipeline, turn1)
        XCTAssertEqual(again.tokens, first.tokens)
        for worker in cluster.workers {
            let peak = SystemMemory.resident(pid: "\(worker.process.processIdentifier)").peak
            XCTAssertLessThan(peak, 500 << 20, "worker peak RSS \(peak >> 20) MiB within --max-memory")
        }
    }

    private func generate(_ pipeline: any Pipeline, _ prompt: [Int32]) async throws -> (tokens: [Int32], promptMilliseconds: Double) {
        let result = try await Generator(tokenizer: cluster.tokenizer, pipeline: pipeline)
            .generate(GenerationRequest(prompt: prompt, maxTokens: 12, sampler: .greedy))
        return (result.tokens.map(\.id), result.timings.promptMilliseconds)
    }
}
