import Coordinator
import Foundation
import Hummingbird

/// POST /v1/completions: text or token prompts, optional echo and log-probabilities, streaming or not.
struct CompletionRoute: Sendable {
    let engine: ServingEngine
    let shapes: LogprobShapes

    init(engine: ServingEngine) {
        self.engine = engine
        shapes = LogprobShapes(tokenizer: engine.tokenizer)
    }

    /// Everything fixed before generating one choice.
    struct Plan: Sendable {
        var job: GenerationJob
        /// Text prepended by `echo`.
        var echoText: String?
        var logprobs: Int?
    }

    func handle(_ fields: RequestFields) async throws -> Response {
        let request = try CompletionRequest(fields)
        try engine.checkModel(request.model)
        let plans = try request.prompts.map { try plan(request, $0) }
        let id = RequestID.make(prefix: "cmpl")
        let created = Int(Date().timeIntervalSince1970)
        let head = ResponseHead(id: id, object: "text_completion", created: created, model: engine.modelID)
        if request.options.stream, let plan = plans.first {
            return try await stream(plan, head: head, includeUsage: request.options.includeUsage)
        }
        var choices: [JSONValue] = []
        var usage = Usage()
        for (index, plan) in plans.enumerated() {
            let permit = try engine.admit()
            let outcome = try await engine.run(plan.job, permit: permit, requestID: id, endpoint: "completions") { _ in }
            choices.append(choice(plan, outcome, index: index))
            usage.add(outcome)
        }
        return .json(head.object(choices: choices, usage: usage.json))
    }

    private func plan(_ request: CompletionRequest, _ prompt: PromptInput) throws -> Plan {
        let ids = try engine.tokens(for: prompt)
        let score = request.echo && request.logprobs != nil
        let job = try engine.job(prompt: ids, options: request.options, defaultMaxTokens: 16, logprobs: request.logprobs != nil,
                                 topLogprobs: request.logprobs ?? 0, scorePrompt: score)
        var echoText: String?
        if request.echo {
            switch prompt {
            case .text(let text): echoText = text
            case .tokens(let ids): echoText = String(decoding: engine.tokenizer.decode(ids), as: UTF8.self)
            }
        }
        return Plan(job: job, echoText: echoText, logprobs: request.logprobs)
    }

    private func choice(_ plan: Plan, _ outcome: GenerationOutcome, index: Int) -> JSONValue {
        let echo = plan.echoText ?? ""
        var logprobs = JSONValue.null
        if let n = plan.logprobs {
            var entries = shapes.entries(outcome.tokens, count: n)
            if plan.echoText != nil { entries = shapes.entries(outcome.promptScores, count: n) + entries }
            logprobs = shapes.completion(entries, offset: 0)
        }
        return .object([("text", .string(echo + outcome.text)), ("index", .int(index)), ("logprobs", logprobs),
                        ("finish_reason", .string(outcome.finishReason.rawValue))])
    }

    /// Chunks of `{"text": …}`, a last chunk with the finish reason, the usage chunk when asked, `[DONE]`.
    /// With echo the prompt text comes first; prompt log-probabilities are only in non-streamed answers.
    private func stream(_ plan: Plan, head: ResponseHead, includeUsage: Bool) async throws -> Response {
        let permit = try engine.admit()
        let engine = engine, shapes = shapes
        return try await SSEStream.response(logger: engine.logger) { out in
            func chunk(_ text: String, logprobs: JSONValue = .null, finish: String? = nil) -> SSEFrame {
                let choice = JSONValue.object([("text", .string(text)), ("index", .int(0)), ("logprobs", logprobs),
                                               ("finish_reason", JSONValue.optional(finish) { .string($0) })])
                return .chunk(head.object(choices: [choice], usage: includeUsage ? .null : nil))
            }
            var echoed = plan.echoText == nil
            do {
                let outcome = try await engine.run(plan.job, permit: permit, requestID: head.id, endpoint: "completions") { piece in
                    if !echoed { out.yield(chunk(plan.echoText ?? "")); echoed = true }
                    guard !piece.text.isEmpty || plan.logprobs != nil else { return }
                    let logprobs = plan.logprobs.map { shapes.completion(shapes.entries(piece.tokens, count: $0), offset: 0) }
                    out.yield(chunk(piece.text, logprobs: logprobs ?? .null))
                }
                if !echoed { out.yield(chunk(plan.echoText ?? "")) }
                out.yield(chunk("", finish: outcome.finishReason.rawValue))
                if includeUsage { out.yield(.chunk(head.object(choices: [], usage: Usage(outcome).json))) }
                out.yield(.done)
            } catch {
                out.yield(.failure(error))
            }
        }
    }
}
