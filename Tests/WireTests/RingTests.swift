import XCTest
@testable import Wire

/// The data path as the protocol describes it, with stand-in stages: coordinator → stage 0 → stage 1 →
/// coordinator over PUSH/PULL, sessions interleaved, an Error travelling down the ring. Shows the
/// messages express the ring; the real stages are the lead's.
final class RingTests: XCTestCase {
    static let nEmbd: UInt32 = 8
    static let poison: Int32 = -1  // a token stage 0 "fails" on

    /// Stage 0: "embeds" each token as a row of its value; fails on the poison token.
    static let stage0: @Sendable (WireMessage) -> WireMessage = { message in
        guard case .forward(var f) = message else { return message }
        if f.tokens.contains(poison) {
            return .error(ErrorMessage(code: .internal, message: "poisoned", sessionID: f.sessionID, step: f.step, stageIndex: 0))
        }
        f.hidden = HiddenStates(nEmbd: nEmbd, values: f.tokens.flatMap { Array(repeating: Float($0), count: Int(nEmbd)) })
        f.timings.append(StageTiming(stageIndex: 0, queueMicroseconds: 1, computeMicroseconds: 2))
        return .forward(f)
    }

    /// Last stage: "samples" last row + 1, reports prompt logprobs when asked; passes Errors on.
    static let stage1: @Sendable (WireMessage) -> WireMessage = { message in
        guard case .forward(let f) = message, let hidden = f.hidden, let last = hidden.values.last else { return message }
        let prompt = f.promptLogprobs
            ? f.tokens.indices.map { PositionLogprobs(position: f.startPosition + UInt32($0), tokenID: f.tokens[$0], logprob: -1) }
            : []
        return .tokenResult(TokenResult(
            sessionID: f.sessionID, step: f.step,
            token: f.sample ? TokenLogprob(tokenID: Int32(last) + 1, logprob: -0.5) : nil,
            promptLogprobs: prompt,
            timings: f.timings + [StageTiming(stageIndex: 1, queueMicroseconds: 3, computeMicroseconds: 4)]))
    }

    func testInterleavedSessionsRoundTheRing() throws {
        let context = try ZMQContext()
        let results = try context.socket(.pull)
        let resultsEndpoint = try results.bind("tcp://127.0.0.1:*")
        let last = try Relay(context: context, to: resultsEndpoint, transform: Self.stage1)
        defer { last.stop() }
        let first = try Relay(context: context, to: last.endpoint, transform: Self.stage0)
        defer { first.stop() }
        let toStage0 = try context.socket(.push)
        try toStage0.connect(first.endpoint)

        // Three sessions, prompt chunk without sampling then one with, then 10 generated tokens each.
        var generated: [UInt64: [Int32]] = [1: [], 2: [], 3: []]
        var nextStep: [UInt64: UInt64] = [:]
        for s: UInt64 in 1...3 {
            try toStage0.send(.forward(Forward(sessionID: s, step: 1, startPosition: 0, tokens: [7, 8], sample: false)), timeout: .seconds(2))
            try toStage0.send(.forward(Forward(sessionID: s, step: 2, startPosition: 2, tokens: [Int32(s) * 100],
                                               sample: true, promptLogprobs: true)), timeout: .seconds(2))
            nextStep[s] = 1
        }
        while generated.values.contains(where: { $0.count < 10 }) {
            guard case .tokenResult(let r) = try results.receiveMessage(timeout: .seconds(5)) else { return XCTFail("not a TokenResult") }
            XCTAssertEqual(r.step, nextStep[r.sessionID], "per-session order is kept")
            nextStep[r.sessionID, default: 0] += 1
            XCTAssertEqual(r.timings.map(\.stageIndex), [0, 1])
            guard let token = r.token else { XCTAssertEqual(r.step, 1); continue }
            if r.step == 2 { XCTAssertEqual(r.promptLogprobs.map(\.position), [2]) }
            generated[r.sessionID, default: []].append(token.tokenID)
            let position = UInt32(2 + generated[r.sessionID, default: []].count)
            if generated[r.sessionID, default: []].count < 10 {
                try toStage0.send(.forward(Forward(sessionID: r.sessionID, step: r.step + 1, startPosition: position,
                                                   tokens: [token.tokenID], sample: true)), timeout: .seconds(2))
            }
        }
        for s: UInt64 in 1...3 {
            XCTAssertEqual(generated[s], (1...10).map { Int32(s) * 100 + Int32($0) })
        }

        // A stage failure reaches the coordinator as an Error naming session, step and stage.
        try toStage0.send(.forward(Forward(sessionID: 9, step: 4, startPosition: 0, tokens: [Self.poison], sample: true)), timeout: .seconds(2))
        XCTAssertEqual(try results.receiveMessage(timeout: .seconds(5)),
                       .error(ErrorMessage(code: .internal, message: "poisoned", sessionID: 9, step: 4, stageIndex: 0)))
    }

    func testRingLatencyPerToken() throws {
        let context = try ZMQContext()
        let results = try context.socket(.pull)
        let resultsEndpoint = try results.bind("tcp://127.0.0.1:*")
        let last = try Relay(context: context, to: resultsEndpoint, transform: Self.stage1)
        defer { last.stop() }
        let first = try Relay(context: context, to: last.endpoint, transform: Self.stage0)
        defer { first.stop() }
        let toStage0 = try context.socket(.push)
        try toStage0.connect(first.endpoint)
        var samples: [Duration] = []
        var token: Int32 = 1
        for i in 0..<1_200 {
            let (result, elapsed) = try timed { () throws(WireError) -> WireMessage in
                try toStage0.send(.forward(Forward(sessionID: 1, step: UInt64(i), startPosition: UInt32(i), tokens: [token], sample: true)),
                                  timeout: .seconds(5))
                return try results.receiveMessage(timeout: .seconds(5))
            }
            guard case .tokenResult(let r) = result, let t = r.token else { return XCTFail("\(result)") }
            token = t.tokenID % 1000
            if i >= 200 { samples.append(elapsed) }
        }
        print("[wire] ring of 2 stand-in stages (3 hops, \(Self.nEmbd)-float hidden), per token: \(LatencyStats(samples))")
    }
}
