import Coordinator
import GGUF
import Llama
import TestSupport
import Engine
import XCTest

/// `--split auto`: every stage fits its worker's budget, or planning fails naming the shortfall.
final class PlanTests: XCTestCase {
    var model: ModelFootprint!

    override func setUp() async throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let file = try GGUFFile(path: TestPaths.model)
        model = try ModelFootprint(file: file, config: try LlamaConfig(gguf: file), contextLength: 1024, sessions: 2)
    }

    private func needs(_ plan: StagePlan) -> [Int] {
        plan.ranges.enumerated().map { model.stage($1, index: $0, of: plan.ranges.count).totalBytes }
    }

    /// Whether any contiguous split of 3 stages fits `budgets` (exhaustive: 29·28/2 splits).
    private func anyThreeStageSplitFits(_ budgets: [Int]) -> Bool {
        let n = model.layerCount
        for a in 1..<(n - 1) {
            for b in (a + 1)..<n {
                let ranges = [0..<a, a..<b, b..<n]
                if ranges.enumerated().allSatisfy({ model.stage($1, index: $0, of: 3).totalBytes <= budgets[$0] }) { return true }
            }
        }
        return false
    }

    /// The planner prices each stage exactly as the worker that receives its LoadStage does (its attention scores
    /// per thread over the context included), so a plan that fits is never refused for a few bytes.
    func testThePlannersStageFootprintIsTheWorkersOwn() throws {
        let file = try GGUFFile(path: TestPaths.model)
        let config = try LlamaConfig(gguf: file)
        let plan = try StagePlan.auto(model, budgets: [1 << 40, 1 << 40, 1 << 40])
        for (i, layers) in plan.ranges.enumerated() {
            for threads in [1, 4] {
                let worker = try StageFootprint(file: file, config: config, spec: plan.spec(i), contextLength: 1024, sessions: 2,
                                                kvType: .f16, maxBatch: 256, threads: threads)
                XCTAssertEqual(model.stage(layers, index: i, of: 3, threads: threads), worker, "stage \(i), \(threads) threads")
            }
        }
    }

    func testAmpleBudgetsBalanceLikeEven() throws {
        let file = try GGUFFile(path: TestPaths.model)
        let even = try StagePlan.even(file: file, config: try LlamaConfig(gguf: file), stages: 3)
        XCTAssertEqual(try StagePlan.auto(model, budgets: [1 << 40, 1 << 40, 1 << 40]), even)
    }

    func testEveryStageFitsItsBudgetAndTheSmallWorkerGetsLess() throws {
        let total = model.stage(0..<model.layerCount, index: 0, of: 1).totalBytes
        let budgets = [total * 3 / 4, total / 3, total * 3 / 4]
        let plan = try StagePlan.auto(model, budgets: budgets)
        XCTAssertEqual(plan.ranges.first?.lowerBound, 0)
        XCTAssertEqual(plan.ranges.last?.upperBound, model.layerCount)
        for (need, budget) in zip(needs(plan), budgets) { XCTAssertLessThanOrEqual(need, budget) }
        XCTAssertLessThan(plan.ranges[1].count, plan.ranges[0].count + plan.ranges[2].count)
    }

    func testTotalShortfallIsNamed() throws {
        let budgets = [60 << 20, 60 << 20, 60 << 20]
        XCTAssertThrowsError(try StagePlan.auto(model, budgets: budgets)) { error in
            guard case PlanError.doesNotFit(let shortfall) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(shortfall.offeredBytes, 180 << 20)
            XCTAssertGreaterThan(shortfall.neededBytes, shortfall.offeredBytes)
            XCTAssertEqual(shortfall.missingBytes, shortfall.neededBytes - shortfall.offeredBytes)
            XCTAssertTrue("\(error)".contains(StageFootprint.format(shortfall.missingBytes) + " missing"), "\(error)")
        }
    }

    func testEnoughInTotalButNoContiguousSplitIsRefused() throws {
        // The last stage's head and logits alone exceed a tiny last budget however the layers are split.
        let head = model.stage(29..<30, index: 2, of: 3).totalBytes
        let budgets = [1 << 40, 1 << 40, head - 1]
        XCTAssertThrowsError(try StagePlan.auto(model, budgets: budgets)) { error in
            guard case PlanError.doesNotFit(let shortfall) = error else { return XCTFail("\(error)") }
            XCTAssertLessThan(shortfall.neededBytes, shortfall.offeredBytes)
            XCTAssertGreaterThan(shortfall.missingBytes, 0)
            XCTAssertTrue("\(error)".contains("no contiguous split"), "\(error)")
        }
    }

    /// Against exhaustive search: the planner finds a split exactly when one exists, and it fits.
    func testAgreesWithExhaustiveSearch() throws {
        var rng = SystemRandomNumberGenerator()
        let total = model.stage(0..<model.layerCount, index: 0, of: 1).totalBytes
        for _ in 0..<60 {
            let budgets = (0..<3).map { _ in Int.random(in: (total / 8)...(total * 2 / 3), using: &rng) }
            let exists = anyThreeStageSplitFits(budgets)
            do {
                let plan = try StagePlan.auto(model, budgets: budgets)
                XCTAssertTrue(exists, "planned \(plan) for \(budgets)")
                for (need, budget) in zip(needs(plan), budgets) { XCTAssertLessThanOrEqual(need, budget, "\(budgets)") }
            } catch PlanError.doesNotFit {
                XCTAssertFalse(exists, "refused \(budgets) though a split exists")
            }
        }
    }

    func testMemorySizesParse() throws {
        XCTAssertEqual(try MemoryBudget.parse("6G"), 6 << 30)
        XCTAssertEqual(try MemoryBudget.parse("1.5GiB"), 3 << 29)
        XCTAssertEqual(try MemoryBudget.parse("512m"), 512 << 20)
        XCTAssertEqual(try MemoryBudget.parse("2048"), 2048)
        XCTAssertEqual(try MemoryBudget.parse("1T"), 1 << 40)
        for bad in ["", "G", "-1G", "6X", "six", "0"] {
            XCTAssertThrowsError(try MemoryBudget.parse(bad), bad)
        }
    }
}

/// `baton plan` and the workers' own budget check, with real worker processes.
final class PlanCommandTests: XCTestCase {
    func testPlanPrintsAFittingSplitAndRefusesOneThatDoesNot() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let workers = try (0..<3).map { _ in try WorkerProcess(extra: ["--max-memory", "150M"]) }
        defer { workers.forEach { $0.stop() } }   // also keeps them alive (a worker's deinit kills it)
        let endpoints = workers.map(\.controlEndpoint).joined(separator: ",")
        let fits = try BatonRun.run(["plan", "-m", TestPaths.model, "--workers", endpoints, "--split", "auto",
                                 "--ctx-size", "512", "--max-sessions", "2"])
        XCTAssertEqual(fits.status, 0, fits.stderr)
        let rows = fits.stdout.split(separator: "\n").filter { $0.hasPrefix("0 ") || $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }
        XCTAssertEqual(rows.count, 3, fits.stdout)
        for row in rows { XCTAssertFalse(row.split(separator: " ").last?.hasPrefix("-") ?? true, "negative headroom: \(row)") }

        let tooBig = try BatonRun.run(["plan", "-m", TestPaths.model, "--workers", endpoints, "--split", "auto",
                                   "--ctx-size", "4096", "--max-sessions", "16"])
        XCTAssertNotEqual(tooBig.status, 0)
        XCTAssertTrue(tooBig.stderr.contains("missing"), tooBig.stderr)
        XCTAssertTrue(tooBig.stderr.contains("MiB") || tooBig.stderr.contains("GiB"), tooBig.stderr)
    }

    func testWorkerRefusesAStageOverItsBudgetAndServesAfterwards() async throws {
        let cluster = try Cluster(workers: 2, extra: ["--max-memory", "200M"])
        let too = StagePlan(ranges: [0..<1, 1..<30])           // the second stage needs ~225 MiB
        do {
            _ = try await cluster.pipeline(too, context: 64)
            XCTFail("a stage over the worker's budget loaded")
        } catch {
            XCTAssertEqual((error as? PipelineError)?.kind, .busy, "\(error)")
            XCTAssertTrue("\(error)".contains("--max-memory"), "\(error)")
        }
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 64)
        let prompt = cluster.tokenizer.encode("The capital of France is")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 64), prompt: prompt, maxTokens: 8)
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(got, expected)
    }
}
