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
        guard stages >= 1, stages <= config.blockCount else {
            throw PlanError.stageCount(ranges: config.blockCount, workers: stages)
        }
        let layerBytes = try (0..<config.blockCount).map { layer in
            try TensorName.layer(layer).reduce(0) { $0 + (try file.tensor($1)).byteCount }
        }
        let tied = file.tensorsByName[TensorName.output] == nil
        let embedding = try file.tensor(TensorName.tokenEmbedding).byteCount
        let head = try file.tensor(tied ? TensorName.tokenEmbedding : TensorName.output).byteCount
            + file.tensor(TensorName.outputNorm).byteCount
        return StagePlan(ranges: balance(layerBytes, stages: stages, firstExtra: embedding, lastExtra: head))
    }

    /// Minimizes the maximum stage cost by binary search over the bound, packing layers greedily.
    static func balance(_ costs: [Int], stages: Int, firstExtra: Int, lastExtra: Int) -> [Range<Int>] {
        func pack(_ bound: Int) -> [Range<Int>]? {
            var ranges: [Range<Int>] = []
            var start = 0
            for stage in 0..<stages {
                let remainingStages = stages - stage - 1
                var cost = stage == 0 ? firstExtra : 0
                var end = start
                // Take layers while they fit, leaving at least one layer for each later stage.
                while end < costs.count - remainingStages {
                    let extra = (end + 1 == costs.count) ? lastExtra : 0
                    guard cost + costs[end] + extra <= bound || end == start else { break }
                    cost += costs[end]
                    end += 1
                }
                if stage == stages - 1 { end = costs.count }
                ranges.append(start..<end)
                let total = (start..<end).reduce(0) { $0 + costs[$1] } + (stage == 0 ? firstExtra : 0)
                    + (stage == stages - 1 ? lastExtra : 0)
                guard total <= bound else { return nil }
                start = end
            }
            return ranges
        }
        var lo = costs.max() ?? 0, hi = costs.reduce(0, +) + firstExtra + lastExtra
        while lo < hi {
            let mid = (lo + hi) / 2
            if pack(mid) != nil { hi = mid } else { lo = mid + 1 }
        }
        return pack(hi) ?? [0..<costs.count]
    }
}

public enum PlanError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case stageCount(ranges: Int, workers: Int)
    case notContiguous(expected: Int, got: Int)
    case coverage(covered: Int, blockCount: Int)

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
        }
    }
}
