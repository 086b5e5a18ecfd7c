import Foundation
import Wire
import Worker

/// What a worker does with one Envelope from the network, for libFuzzer: the bytes go to two socketless workers
/// (one with the whole tiny model as its stage: tokens in, a token out; one with only its middle layer: hidden
/// states in and out), each as a control request from a greeted coordinator and as a data message. Both start
/// every input from the same state — stage loaded, session 1 open and empty — restored after an input that
/// changed it, so each input's behaviour depends on its bytes alone.
public final class EnvelopeHarness {
    struct Stage {
        let worker: SocketlessWorker
        let baseline: LoadStage
    }

    static let peer = Array("fuzz-coordinator".utf8)
    static let session: UInt64 = 1
    private let stages: [Stage]

    /// Writes the tiny model and the workers' cache under `directory`, then loads both stages.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let model = directory + "/tiny.gguf"
        try Data(TinyModel.standard.bytes()).write(to: URL(fileURLWithPath: model))
        stages = try [Self.baseline(model: model, layers: 0..<2, first: true, last: true),
                      Self.baseline(model: model, layers: 1..<2, first: false, last: false)].map { request in
            // `--model` set: a LoadStage never opens a path from the input; weights go to a cache of its own.
            let options = WorkerOptions(listen: "tcp://127.0.0.1:0", threads: 1, workerID: "fuzz", maxBatch: 8,
                                        memoryBudget: 64 << 20, modelPath: model, cacheDirectory: directory + "/cache",
                                        pollWindow: .zero)
            return Stage(worker: try SocketlessWorker(options: options), baseline: request)
        }
        for stage in stages {
            _ = Self.send(.hello(Hello(peerID: "fuzz", role: .coordinator)), to: stage.worker)
            try Self.expect(Self.send(.loadStage(stage.baseline), to: stage.worker), "LoadStageReply")
            try Self.expect(Self.send(.openSession(Self.openSession), to: stage.worker), "OpenSessionReply")
        }
    }

    /// One input: a crash or hang inside is the finding; afterwards both workers are back at their baseline.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        for stage in stages {
            _ = stage.worker.control(bytes, from: Self.peer)
            _ = stage.worker.data(bytes)
        }
        restore(after: try? WireMessage.decode(bytes, maxSize: Envelope.defaultMaxSize))
    }

    /// Undoes what `message` may have changed.
    private func restore(after message: WireMessage?) {
        for stage in stages {
            switch message {
            case .loadStage?:
                if stage.worker.loadedStage != stage.baseline {
                    _ = Self.send(.loadStage(stage.baseline), to: stage.worker)
                    _ = Self.send(.openSession(Self.openSession), to: stage.worker)
                }
            case .openSession(let open)? where open.sessionID != Self.session:
                _ = Self.send(.closeSession(CloseSession(sessionID: open.sessionID)), to: stage.worker)
            case .closeSession(let close)? where close.sessionID == Self.session:
                _ = Self.send(.openSession(Self.openSession), to: stage.worker)
            case .forward(let forward)? where forward.sessionID == Self.session:
                _ = Self.send(.closeSession(CloseSession(sessionID: Self.session)), to: stage.worker)
                _ = Self.send(.openSession(Self.openSession), to: stage.worker)
            case .weightOffer?, .weightChunk?:
                // A WeightDone for another model ends (and deletes) any transfer the input began.
                _ = Self.send(.weightDone(WeightDone(modelSHA256: "")), to: stage.worker)
            default:
                break
            }
        }
    }

    static let openSession = OpenSession(sessionID: session, contextLength: 32)

    static func baseline(model: String, layers: Range<UInt32>, first: Bool, last: Bool) -> LoadStage {
        LoadStage(modelPath: model, modelSHA256: "", layerBegin: layers.lowerBound, layerEnd: layers.upperBound,
                  isFirst: first, isLast: last, contextLength: 32, kvType: .f16, maxSessions: 2,
                  nextHop: "inproc://fuzz-next-hop", stageIndex: first ? 0 : 1, stageCount: first ? 1 : 3, threads: 1)
    }

    static func send(_ message: WireMessage, to worker: SocketlessWorker) -> WireMessage? {
        let reply = Envelope(requestID: 1, message: message).encode().withUnsafeBytes { worker.control($0, from: peer) }
        return reply.flatMap { try? WireMessage.decode($0, maxSize: Envelope.defaultMaxSize) }
    }

    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    static func expect(_ reply: WireMessage?, _ kind: String) throws {
        guard let reply, reply.kind == kind else {
            throw SetupError(description: "expected \(kind), got \(reply.map { "\($0)" } ?? "no reply")")
        }
    }
}

extension EnvelopeHarness {
    /// What is wrong with the baseline, or nil: the whole-model stage answers session 1's prompt with a token,
    /// the middle stage passes hidden states on. Restores the baseline afterwards.
    public func baselineProblem() -> String? {
        let width = TinyModel.standard.width
        let hidden = HiddenStates(nEmbd: UInt32(width), values: Array(repeating: 0.5, count: 2 * width))
        let probes = [Forward(sessionID: Self.session, step: 1, startPosition: 0, tokens: [1, 2], sample: true),
                      Forward(sessionID: Self.session, step: 1, startPosition: 0, tokens: [1, 2], hidden: hidden, sample: false)]
        for (stage, probe) in zip(stages, probes) {
            let bytes = WireMessage.forward(probe).encode()
            let out = bytes.withUnsafeBytes { stage.worker.data($0) }.first.flatMap { try? WireMessage.decode($0, maxSize: 1 << 20) }
            bytes.withUnsafeBytes { restore(after: try? WireMessage.decode($0, maxSize: 1 << 20)) }
            switch out {
            case .tokenResult(let result)? where stage.baseline.isLast && result.token != nil: continue
            case .forward(let next)? where !stage.baseline.isLast && next.hidden?.values.count == hidden.values.count: continue
            default: return "stage \(stage.baseline.layerBegin)..<\(stage.baseline.layerEnd) answered \(out.map { "\($0)" } ?? "nothing")"
            }
        }
        return nil
    }
}
