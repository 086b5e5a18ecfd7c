import GGUF
import Llama

/// How the model's layers are split over the workers: one contiguous range per worker, in order.
public struct StagePlan: Sendable, Equatable, CustomStringConvertible {
    public var ranges: [Range<Int>]

    public init(ranges: [Range<Int>]) { self.ranges = ranges }

    public var description: String {
        ranges.map { "\($0.lowerBound)-\($0.upperBound - 1)" }.joined(separator: ",")
    }

    public func spec(_ stage: Int) -> StageSpec {
        StageSpec(layers: ranges[stage], hasEmbedding: stage == 0, hasHead: stage == ranges.count - 1)
    }

    /// "0-9,10-19,20-29": inclusive ranges that must cover 0..<blockCount in order, each non-empty.
    public static func parse(_ text: String, blockCount: Int, stages: Int) throws -> StagePlan {
        var ranges: [Range<Int>] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.count == 2, let lo = bounds[0], let hi = bounds[1], lo <= hi else {
                throw PlanError.malformed(String(part))
            }
            ranges.append(lo..<(hi + 1))
        }
        let plan = StagePlan(ranges: ranges)
        try plan.check(blockCount: blockCount, stages: stages)
        return plan
    }

    func check(blockCount: Int, stages: Int) throws {
        guard ranges.count == stages else { throw PlanError.stageCount(ranges: ranges.count, workers: stages) }
        var next = 0
        for r in ranges {
            guard r.lowerBound == next else { throw PlanError.notContiguous(expected: next, got: r.lowerBound) }
            next = r.upperBound
        }
        guard next == blockCount else { throw PlanError.coverage(covered: next, blockCount: blockCount) }
    }

    /// Contiguous ranges that balance each stage's weight bytes (layers, plus the embedding on the first
    /// stage and the output norm and head on the last), minimizing the largest stage.
    public static func even(file: GGUFFile, config: LlamaConfig, stages: Int) throws -> StagePlan {
        let model = try ModelFootprint(file: file, config: config, contextLength: 1, sessions: 1)
        guard stages >= 1, stages <= config.blockCount else {
            throw PlanError.stageCount(ranges: config.blockCount, workers: stages)
        }
        guard let ranges = balance(model, stages: stages, fits: { _, _ in true }) else {
            throw PlanError.stageCount(ranges: config.blockCount, workers: stages)
        }
        return StagePlan(ranges: ranges)
    }

    /// Contiguous ranges, one per worker, each fitting its worker's budget (weights + KV caches + scratch, with
    /// `threads[i]` threads on worker i; 1 when not given), balancing weight bytes among the stages. Throws
    /// `PlanError.doesNotFit` naming the shortfall.
    public static func auto(_ model: ModelFootprint, budgets: [Int], threads: [Int] = []) throws -> StagePlan {
        let stages = budgets.count
        guard stages >= 1, stages <= model.layerCount else {
            throw PlanError.stageCount(ranges: model.layerCount, workers: stages)
        }
        let fits = { (stage: Int, layers: Range<Int>) in
            model.stage(layers, index: stage, of: stages, threads: threads.indices.contains(stage) ? threads[stage] : 1)
                .totalBytes <= budgets[stage]
        }
        guard let ranges = balance(model, stages: stages, fits: fits) else {
            throw PlanError.doesNotFit(Shortfall(model, budgets: budgets, threads: threads))
        }
        return StagePlan(ranges: ranges)
    }

    /// Minimizes the largest stage's weight bytes by binary search over that bound, packing layers greedily
    /// (each stage takes as many layers as the bound and `fits` allow, leaving one for each later stage;
    /// taking the most is never worse for the stages after it). Nil when no split satisfies `fits`.
    static func balance(_ model: ModelFootprint, stages: Int,
                        fits: (_ stage: Int, _ layers: Range<Int>) -> Bool) -> [Range<Int>]? {
        let layers = model.layerCount
        func weight(_ stage: Int, _ r: Range<Int>) -> Int { model.stage(r, index: stage, of: stages).weightBytes }
        func pack(_ bound: Int) -> [Range<Int>]? {
            var ranges: [Range<Int>] = []
            var start = 0
            for stage in 0..<stages {
                var end = stage == stages - 1 ? layers : start + 1
                if stage < stages - 1 {
                    while end < layers - (stages - stage - 1), weight(stage, start..<(end + 1)) <= bound,
                          fits(stage, start..<(end + 1)) { end += 1 }
                }
                guard weight(stage, start..<end) <= bound, fits(stage, start..<end) else { return nil }
                ranges.append(start..<end)
                start = end
            }
            return ranges
        }
        var lo = 0, hi = (0..<stages).map { weight($0, 0..<layers) }.max() ?? 0
        guard pack(hi) != nil else { return nil }
        while lo < hi {
            let mid = (lo + hi) / 2
            if pack(mid) != nil { hi = mid } else { lo = mid + 1 }
        }
        return pack(hi)
    }
}

/// Why a model does not fit the workers' budgets.
public struct Shortfall: Sendable, Equatable, CustomStringConvertible {
    /// Memory the model needs over all stages of the weight-balanced split (weights + KV caches + scratch).
    public var neededBytes: Int
    public var offeredBytes: Int
    /// The smallest amount to add: neededBytes − offeredBytes when the total falls short, otherwise the
    /// memory the tightest contiguous split still lacks.
    public var missingBytes: Int

    init(_ model: ModelFootprint, budgets: [Int], threads: [Int] = []) {
        let stages = budgets.count
        let even = StagePlan.balance(model, stages: stages) { _, _ in true } ?? [0..<model.layerCount]
        let footprints = even.enumerated().map { i, layers in
            model.stage(layers, index: i, of: stages, threads: threads.indices.contains(i) ? threads[i] : 1).totalBytes
        }
        neededBytes = footprints.reduce(0, +)
        offeredBytes = budgets.reduce(0, +)
        // With enough memory in total, what is missing is per worker: the largest gap of the balanced split
        // (contiguity or one oversized layer keeps the rest from being used).
        let worstGap = zip(footprints, budgets).map { $0 - $1 }.max() ?? 0
        missingBytes = max(neededBytes - offeredBytes, worstGap, 1)
    }

    public var description: String {
        let need = StageFootprint.format(neededBytes), offer = StageFootprint.format(offeredBytes)
        let missing = StageFootprint.format(missingBytes)
        let advice = "Add a worker, raise --max-memory, or lower --ctx-size / --max-sessions"
        if neededBytes > offeredBytes {
            return "the model needs \(need) (weights + KV caches + scratch) but the workers offer \(offer): \(missing) missing. \(advice)"
        }
        return "the workers offer \(offer) for the \(need) the model needs, but no contiguous split of its layers fits every "
            + "budget: the tightest worker lacks \(missing). \(advice)"
    }
}

public enum PlanError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case stageCount(ranges: Int, workers: Int)
    case notContiguous(expected: Int, got: Int)
    case coverage(covered: Int, blockCount: Int)
    case doesNotFit(Shortfall)

    public var description: String {
        switch self {
        case .malformed(let part):
            "split part '\(part)' is not a range like 0-9 (inclusive, ascending)"
        case .stageCount(let ranges, let workers):
            "the split has \(ranges) ranges but there are \(workers) workers: give one range per worker"
        case .notContiguous(let expected, let got):
            "the split must be contiguous: a range starts at layer \(got), expected \(expected)"
        case .coverage(let covered, let count):
            "the split covers layers 0-\(covered - 1) but the model has layers 0-\(count - 1)"
        case .doesNotFit(let shortfall):
            "the model does not fit: \(shortfall)"
        }
    }
}
