@testable import Coordinator
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Synchronization
@testable import Tokenizer
import Engine

/// A pipeline without a model: every session answers with `script`'s token ids in order (then end of
/// generation), so the HTTP layer's parsing, errors and framing can be tested in this process.
final class ScriptedPipeline: Pipeline {
    let script: [Int32]
    let endOfGeneration: Int32
    let maxBatch = 64
    let maxContext: Int
    /// Next script position per open session, and the prompt tokens each session received.
    private let sessions = Mutex<[UInt64: Int]>([:])
    let received = Mutex<[[Int32]]>([])

    init(script: [Int32], endOfGeneration: Int32, maxContext: Int = 256) {
        self.script = script; self.endOfGeneration = endOfGeneration; self.maxContext = maxContext
    }

    func open(_ session: UInt64, options: SessionOptions) async throws {
        sessions.withLock { $0[session] = 0 }
        received.withLock { $0.append([]) }
    }

    func step(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        received.withLock { $0[$0.count - 1] += tokens }
        let next: Int? = sessions.withLock { table in
            guard let at = table[session] else { return nil }
            if sample { table[session] = at + 1 }
            return at
        }
        guard let at = next else { throw StageError.unknownSession(session) }
        guard sample else { return nil }
        return SampledToken(id: at < script.count ? script[at] : endOfGeneration, logprob: -0.25)
    }

    func rewind(_ session: UInt64, to position: Int) async throws {}

    func close(_ session: UInt64) async { _ = sessions.withLock { $0.removeValue(forKey: session) } }
}

/// The real router and engine over a byte-level vocabulary (every byte a token, plus ChatML's specials) and a
/// scripted pipeline.
struct FakeServer {
    static let imStart = "<|im_start|>", imEnd = "<|im_end|>"
    let tokenizer: Tokenizer
    let pipeline: ScriptedPipeline
    let app: Application<RouterResponder<BasicRequestContext>>
    let server: BatonServer

    /// `stages`: what /health reports of the (pretend) workers.
    init(reply: String = "Hello world", contextLength: Int = 256, ready: Bool = true, options: ServerOptions = ServerOptions(),
         stages: [StageStatus] = []) throws {
        let bytes = (0..<256).map { ByteLevel.string(of: UInt8($0)) }
        let tokens = bytes + [Self.imStart, Self.imEnd]
        let eos = Int32(tokens.count - 1)
        tokenizer = try Tokenizer(tokens: tokens, tokenTypes: Array(repeating: 1, count: 256) + [3, 3], merges: [],
                                  pre: "gpt-2", special: SpecialTokens(eos: eos))
        pipeline = ScriptedPipeline(script: tokenizer.encode(reply), endOfGeneration: eos, maxContext: contextLength)
        let readiness = Readiness()
        if ready { readiness.set(.ready) }
        let engine = ServingEngine(generator: Generator(tokenizer: tokenizer, pipeline: pipeline),
                                   contextLength: contextLength, modelID: "fake-model", template: ChatTemplate(family: .chatml),
                                   limiter: SessionLimiter(limit: 2), metrics: ServerMetrics(), readiness: readiness,
                                   stageStatus: { stages })
        server = BatonServer(engine: engine, options: options)
        app = server.application()
    }

    /// POSTs `body` to `uri` and hands the status and body text to `check`.
    func post(_ uri: String, _ body: String, check: @escaping @Sendable (HTTPResponse.Status, String) throws -> Void) async throws {
        try await send(.post, uri, body: ByteBuffer(string: body), check: check)
    }

    /// Runs the server on a socket (its options' host, port 0 for any) while `body` gets the port.
    func live(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = server.application { _, port in continuation.yield(port) }
        let running = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        try await body(port)
    }

    /// Sends one request through the router (no socket) and hands the status and body text to `check`.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [.contentType: "application/json"],
              body: ByteBuffer? = nil, check: @escaping @Sendable (HTTPResponse.Status, String) throws -> Void) async throws {
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                try check(response.status, String(buffer: response.body))
            }
        }
    }
}
