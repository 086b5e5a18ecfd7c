import Llama
import TestSupport
import XCTest

extension LlamaStage {
    /// Teacher forcing against a llama.cpp greedy run: the prompt and the run's chosen ids (one per step; with an
    /// end-of-generation stop one more than generated_ids) as one batch. Row `step` is the logits predicting step
    /// `step`, which llama.cpp's top-10 of that step describe.
    func teacherForced(_ test: QuantizedGreedyReference.Case) throws -> [ArraySlice<Float>] {
        let cache = try XCTUnwrap(makeCache(), "no KV cache")
        let ids = test.per_step.map(\.id)
        let logits = Array(try forward(.tokens(test.prompt_ids + ids.dropLast()), cache: cache, logits: .all))
        let vocab = config.vocabularySize, first = test.prompt_ids.count - 1
        return ids.indices.map { step in logits[((first + step) * vocab)..<((first + step + 1) * vocab)] }
    }
}

/// |ours − llama.cpp| for each of llama.cpp's top-10 logits at every step.
func topTenDifferences(_ rows: [ArraySlice<Float>], _ test: QuantizedGreedyReference.Case) -> [Float] {
    zip(rows, test.per_step).flatMap { row, step in
        step.top10.map { pair in abs(row[row.startIndex + Int(pair[0])] - pair[1]) }
    }
}
