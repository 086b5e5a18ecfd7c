import Coordinator
import Foundation
import Hummingbird

/// POST /v1/chat/completions: messages rendered with the model's chat template, then a completion.
struct ChatRoute: Sendable {
    let engine: ServingEngine
    let shapes: LogprobShapes

    init(engine: ServingEngine) {
        self.engine = engine
        shapes = LogprobShapes(tokenizer: engine.tokenizer)
    }

    func handle(_ fields: RequestFields) async throws -> Response {
        let request = try ChatRequest(fields)
        try engine.checkModel(request.model)
        let prompt = engine.template.render(request.messages)
        let ids = try engine.tokens(for: .text(prompt))
        let top = request.logprobs ? request.topLogprobs : 0
        let job = try engine.job(prompt: ids, options: request.options, defaultMaxTokens: Int.max, logprobs: request.logprobs,
                                 topLogprobs: top, param: "messages")
        let head = ResponseHead(id: RequestID.make(prefix: "chatcmpl"), object: "chat.completion",
                                created: Int(Date().timeIntervalSince1970), model: engine.modelID)
        let permit = try engine.admit()
        if request.options.stream {
            return try await stream(job, permit: permit, head: head, logprobs: request.logprobs ? top : nil,
                                    includeUsage: request.options.includeUsage)
        }
        let outcome = try await engine.run(job, permit: permit, requestID: head.id, endpoint: "chat") { _ in }
        let choice = JSONValue.object([
            ("index", .int(0)),
            ("message", .object([("role", .string("assistant")), ("content", .string(outcome.text))])),
            ("logprobs", request.logprobs ? shapes.chat(outcome.tokens, count: top) : .null),
            ("finish_reason", .string(outcome.finishReason.rawValue)),
        ])
        return .json(head.object(choices: [choice], usage: Usage(outcome).json))
    }

    /// A first chunk with the assistant role, one chunk per released piece (`delta.content`), a chunk with
    /// an empty delta and the finish reason, the usage chunk when asked, `[DONE]`.
    private func stream(_ job: GenerationJob, permit: SessionPermit, head: ResponseHead, logprobs: Int?,
                        includeUsage: Bool) async throws -> Response {
        let engine = engine, shapes = shapes
        let chunkHead = ResponseHead(id: head.id, object: "chat.completion.chunk", created: head.created, model: head.model)
        return try await SSEStream.response(logger: engine.logger) { out in
            func chunk(_ delta: [(String, JSONValue)], logprobs: JSONValue = .null, finish: String? = nil) -> SSEFrame {
                let choice = JSONValue.object([("index", .int(0)), ("delta", .object(delta)), ("logprobs", logprobs),
                                               ("finish_reason", JSONValue.optional(finish) { .string($0) })])
                return .chunk(chunkHead.object(choices: [choice], usage: includeUsage ? .null : nil))
            }
            // The role chunk goes out with the first output, so a failure before any becomes an HTTP error.
            var started = false
            func start() {
                if !started { out.yield(chunk([("role", .string("assistant")), ("content", .string(""))])) }
                started = true
            }
            do {
                let outcome = try await engine.run(job, permit: permit, requestID: head.id, endpoint: "chat") { piece in
                    start()
                    guard !piece.text.isEmpty || logprobs != nil else { return }
                    let lp = logprobs.map { shapes.chat(piece.tokens, count: $0) } ?? .null
                    out.yield(chunk([("content", .string(piece.text))], logprobs: lp))
                }
                start()
                out.yield(chunk([], finish: outcome.finishReason.rawValue))
                if includeUsage { out.yield(.chunk(chunkHead.object(choices: [], usage: Usage(outcome).json))) }
                out.yield(.done)
            } catch {
                out.yield(.failure(error))
            }
        }
    }
}
