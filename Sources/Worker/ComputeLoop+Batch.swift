import Engine
import Foundation
import Llama
import Wire

/// A data message read from the ring and not computed yet.
struct DataItem {
    enum Body {
        case forward(Forward)
        /// A failure from an earlier stage, passed on unchanged.
        case error(ErrorMessage)
    }
    let body: Body
    let arrived: ContinuousClock.Instant

    var session: UInt64 {
        switch body {
        case .forward(let f): f.sessionID
        case .error(let e): e.sessionID
        }
    }

    var rows: Int {
        if case .forward(let f) = body { f.tokens.count } else { 0 }
    }
}

extension LoadedStage {
    /// Sessions one batch takes at most: the open sessions split into one micro-batch per stage, so with N stages
    /// N micro-batches travel the ring and every stage has one to compute (GPipe-style) instead of all sessions
    /// moving as one batch from stage to stage while the others idle. One stage takes them all.
    var sessionsPerBatch: Int {
        let stages = max(1, Int(request.stageCount))
        return max(1, (engine.sessionCount + stages - 1) / stages)
    }
}

extension ComputeLoop {
    /// The items in one data message (a ForwardBatch gives one per member); none when it is dropped (logged).
    func items(in frames: [[UInt8]]) -> [DataItem] {
        let message: WireMessage
        do {
            guard frames.count == 1 else { throw WireError.badFrames("\(frames.count) frames, expected 1") }
            message = try Envelope.decode(frames[0], maxSize: Envelope.defaultMaxSize).message
        } catch {
            junkLog.warning(logger, "unreadable data message dropped", metadata: ["error": "\(error)"])
            return []
        }
        let now = ContinuousClock.now
        switch message {
        case .forward(let forward): return [DataItem(body: .forward(forward), arrived: now)]
        case .forwardBatch(let forwards):
            // Members are distinct sessions of at least one row each, so a real batch has at most --batch-size of
            // them; more would only make every later batch scan a longer inbox.
            guard let loaded, forwards.count <= loaded.engine.stage.maxBatch else {
                junkLog.warning(logger, "ForwardBatch of more members than --batch-size dropped", metadata: ["members": "\(forwards.count)"])
                return []
            }
            return forwards.map { DataItem(body: .forward($0), arrived: now) }
        case .error(let error): return [DataItem(body: .error(error), arrived: now)]
        default:
            junkLog.warning(logger, "unexpected data message dropped", metadata: ["kind": "\(message.kind)"])
            return []
        }
    }

    /// Takes the next batch out of `inbox` and computes it: in arrival order, the Forwards of distinct sessions
    /// up to `maxBatch` rows and `sessionsPerBatch` one-token steps. The oldest item always goes, so nothing
    /// starves; one that does not fit waits, and so does everything behind it of its session (a session's chunks
    /// run in order), while later sessions' items still join — a running stream's next token does not wait
    /// behind another's long prompt. Errors are passed on in their session's order. Returns what goes to the
    /// next hop.
    func computeNextBatch(_ inbox: inout [DataItem], stage: LoadedStage) -> [WireMessage] {
        let sessionCap = stage.sessionsPerBatch
        var out: [WireMessage] = []
        var batch: [(forward: Forward, arrived: ContinuousClock.Instant)] = []
        var rows = 0, decodes = 0
        var seen = Set<UInt64>()                  // sessions in the batch or waiting for a later one
        var kept: [DataItem] = []
        for item in inbox {
            guard seen.insert(item.session).inserted || item.session == 0 else { kept.append(item); continue }
            switch item.body {
            case .error(let error): out.append(.error(error)); seen.remove(item.session)
            case .forward(let forward):
                // Only one-token steps count against the cap: a prompt chunk joining a batch of decodes (or the
                // reverse) must not make a running stream wait for the other prompt's remaining chunks.
                let capped = item.rows == 1 && decodes >= sessionCap
                if batch.isEmpty || (rows + item.rows <= stage.engine.stage.maxBatch && !capped) {
                    batch.append((forward, item.arrived))
                    rows += item.rows
                    if item.rows == 1 { decodes += 1 }
                } else { kept.append(item) }
            }
        }
        inbox = kept
        return out + outgoing(handle(batch, stage: stage), stage: stage)
    }

    /// The messages for the next hop: several sessions' hidden states as one ForwardBatch when it takes them.
    private func outgoing(_ results: [WireMessage], stage: LoadedStage) -> [WireMessage] {
        guard stage.request.nextHopTakesBatches, !stage.request.isLast else { return results }
        var forwards: [Forward] = []
        var rest: [WireMessage] = []
        for result in results {
            if case .forward(let forward) = result { forwards.append(forward) } else { rest.append(result) }
        }
        guard forwards.count > 1 else { return results }
        return rest + [.forwardBatch(forwards)]
    }

    /// Runs several sessions' Forwards as one batch; one message for each, in order: hidden states, a
    /// TokenResult, or an Error.
    func handle(_ batch: [(forward: Forward, arrived: ContinuousClock.Instant)], stage: LoadedStage) -> [WireMessage] {
        guard !batch.isEmpty else { return [] }
        let forwards = batch.map(\.forward)
        let clock = ContinuousClock.now
        stage.forwardsDone += UInt64(forwards.count)
        let index = stage.request.stageIndex
        var out = [WireMessage?](repeating: nil, count: forwards.count)
        var runnable: [Int] = []
        for (i, forward) in forwards.enumerated() {
            do {
                try prepare(forward, engine: stage.engine, isFirst: stage.request.isFirst)
                runnable.append(i)
            } catch { out[i] = failure(error, forward, stage: index) }
        }
        // Every hidden row in one array, so one pinned buffer serves all the inputs.
        let hidden = runnable.flatMap { forwards[$0].hidden?.values ?? [] }
        let results = hidden.withUnsafeBufferPointer { all in
            var offset = 0
            let items = runnable.map { i -> StageBatchItem in
                let f = forwards[i]
                let input: StageInput
                if stage.request.isFirst { input = .tokens(f.tokens) } else {
                    let count = f.hidden?.values.count ?? 0
                    input = .hidden(UnsafeBufferPointer(rebasing: all[offset..<(offset + count)]))
                    offset += count
                }
                return StageBatchItem(session: f.sessionID, input: input, batchTokens: f.tokens, sample: f.sample,
                                      promptLogprobs: f.promptLogprobs)
            }
            return stage.engine.run(batch: items)
        }
        let compute = UInt32(clamping: (ContinuousClock.now - clock).microseconds)
        let rows = UInt32(clamping: runnable.reduce(0) { $0 + forwards[$1].tokens.count })
        for (i, result) in zip(runnable, results) {
            let forward = forwards[i]
            switch result {
            case .success(let output):
                let timing = StageTiming(stageIndex: index, queueMicroseconds: UInt32(clamping: (clock - batch[i].arrived).microseconds),
                                         computeMicroseconds: compute, batchSessions: UInt32(clamping: runnable.count), batchRows: rows)
                let timings = forward.timings + [timing]
                out[i] = Self.message(output, forward: forward, timings: timings)
            case .failure(let error): out[i] = failure(error, forward, stage: index)
            }
        }
        return out.compactMap { $0 }
    }

    /// Checks a Forward against its session (rewinding it when the Forward starts earlier) and its input.
    private func prepare(_ forward: Forward, engine: StageEngine, isFirst: Bool) throws {
        let length = try engine.length(of: forward.sessionID)
        let start = Int(forward.startPosition)
        guard start <= length else {
            throw WireError.invalid("chunk starts at position \(start) but the session holds \(length) positions")
        }
        if start < length { try engine.rewind(forward.sessionID, to: start) }
        guard !isFirst else { return }
        guard let hidden = forward.hidden else { throw WireError.invalid("a Forward to a later stage carries no hidden states") }
        let embd = engine.stage.config.embeddingLength
        guard Int(hidden.nEmbd) == embd, hidden.values.count == forward.tokens.count * embd else {
            throw WireError.invalid("hidden states of \(hidden.values.count) floats (n_embd \(hidden.nEmbd)) do not match "
                                    + "\(forward.tokens.count) tokens × n_embd \(embd)")
        }
    }

    private func failure(_ error: any Error, _ forward: Forward, stage index: UInt32) -> WireMessage {
        // A peer can send Forwards that fail at will (an unknown session, say): at most one line a second.
        junkLog.warning(logger, "forward failed", metadata: ["session": "\(forward.sessionID)", "error": "\(error)"])
        return .error(ErrorMessage(code: Self.code(for: error), message: "stage \(index): \(error)",
                                   sessionID: forward.sessionID, step: forward.step, stageIndex: index))
    }
}
