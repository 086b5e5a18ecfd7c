import Llama
import Sampling

/// One session's part of a batch on a stage (see `StageEngine.run(_:_:batchTokens:sample:promptLogprobs:)` for
/// what each field means).
public struct StageBatchItem {
    public let session: UInt64
    public let input: StageInput
    public let batchTokens: [Int32]?
    public let sample: Bool
    public let promptLogprobs: Bool

    public init(session: UInt64, input: StageInput, batchTokens: [Int32]? = nil, sample: Bool = true, promptLogprobs: Bool = false) {
        self.session = session; self.input = input; self.batchTokens = batchTokens; self.sample = sample
        self.promptLogprobs = promptLogprobs
    }
}

extension StageEngine {
    /// Runs several sessions' items with one weight pass per `maxBatch` rows: continuous batching's step on
    /// one stage. Each item gets its own result, in order; an item that cannot run (unknown session, past its
    /// context, a bad token, its session already in this batch) fails alone and the others run. The rows of
    /// one forward pass go through the same kernels as a lone session's, so each item's result is the one it
    /// would get alone.
    public func run(batch items: [StageBatchItem]) -> [Result<StageOutput, any Error>] {
        sessions.withLock { sessions in
            var results = [Result<StageOutput, any Error>?](repeating: nil, count: items.count)
            var pass: [(index: Int, session: Session, rows: Int)] = []
            var passRows = 0
            var inBatch = Set<UInt64>()
            let now = ContinuousClock.now
            for (i, item) in items.enumerated() {
                guard let session = sessions[item.session] else {
                    results[i] = .failure(StageError.unknownSession(item.session)); continue
                }
                session.lastUsed = now
                guard inBatch.insert(item.session).inserted else {
                    results[i] = .failure(StageError.sessionTwiceInBatch(item.session)); continue
                }
                let rows: Int
                do { rows = try stage.check(BatchSegment(item.input, cache: session.cache)) } catch {
                    results[i] = .failure(error); continue
                }
                if passRows + rows > stage.maxBatch {
                    forward(pass, items, into: &results)
                    pass = []; passRows = 0
                }
                pass.append((i, session, rows)); passRows += rows
            }
            forward(pass, items, into: &results)
            // Every item got its result above (refused, or from the pass it joined).
            return results.map { $0 ?? .failure(StageError.unknownSession(0)) }
        }
    }

    /// One forward pass over `pass`, whose items all passed `LlamaStage.check` and fit one batch.
    private func forward(_ pass: [(index: Int, session: Session, rows: Int)], _ items: [StageBatchItem],
                         into results: inout [Result<StageOutput, any Error>?]) {
        guard !pass.isEmpty else { return }
        let wanted: [LogitRows] = pass.map { p in
            let item = items[p.index]
            return !isLast ? .none : item.promptLogprobs ? .all : (item.sample ? .last : .none)
        }
        let segments = zip(pass, wanted).map { p, rows in BatchSegment(items[p.index].input, cache: p.session.cache, logits: rows) }
        let output: UnsafeBufferPointer<Float>
        do { output = try stage.forward(segments) } catch {
            for p in pass { results[p.index] = .failure(error) }
            return
        }
        let width = isLast ? stage.config.vocabularySize : stage.config.embeddingLength
        var row = 0
        for (p, rows) in zip(pass, wanted) {
            let count = isLast ? (rows == .all ? p.rows : rows == .last ? 1 : 0) : p.rows
            let slice = UnsafeBufferPointer(rebasing: output[(row * width)..<((row + count) * width)])
            row += count
            results[p.index] = .success(isLast ? finish(items[p.index], p.session, logits: slice) : .hidden(Array(slice)))
        }
    }

    /// The last stage's answer for one item from its logits rows.
    private func finish(_ item: StageBatchItem, _ session: Session, logits: UnsafeBufferPointer<Float>) -> StageOutput {
        let tokens = item.input.tokens ?? item.batchTokens
        tokens?.forEach { session.sampler.accept($0) }
        guard item.sample || item.promptLogprobs else { return .evaluated }
        return .token(pick(session, logits: logits, promptLogprobs: item.promptLogprobs ? tokens : nil))
    }
}
