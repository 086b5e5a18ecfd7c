import Coordinator
import Hummingbird

/// GET /v1/models, /health and /metrics.
struct InfoRoutes: Sendable {
    let engine: ServingEngine
    let started: Int

    func models() -> Response {
        let model = JSONValue.object([
            ("id", .string(engine.modelID)), ("object", .string("model")), ("created", .int(started)),
            ("owned_by", .string("baton")),
            ("meta", .object([("n_ctx", .int(engine.contextLength)), ("n_vocab", .int(engine.tokenizer.vocabularySize))])),
        ])
        return .json(.object([("object", .string("list")), ("data", .array([model]))]))
    }

    /// 503 while loading or when a stage is down; 200 when every stage answers loaded. `detailed` (the API key was
    /// given, or none is set) adds the model, sessions and stage map — worker addresses and the split — and why it
    /// is not ready; otherwise only the status.
    func health(detailed: Bool = true) async -> Response {
        let (status, ready, details) = await healthReport()
        let body: [(String, JSONValue)] = [("status", .string(status))] + (detailed ? details : [])
        return .json(.object(body), status: ready ? .ok : .serviceUnavailable)
    }

    /// The status word, whether it is ready, and the fields only an authorized caller sees.
    private func healthReport() async -> (String, Bool, [(String, JSONValue)]) {
        switch engine.readiness.current {
        case .loading(let what):
            return ("loading", false, [("message", .string(what))])
        case .failed(let why):
            return ("error", false, [("message", .string(why))])
        case .ready:
            let stages = await engine.stageStatus()
            let ok = !stages.isEmpty && stages.allSatisfy { $0.loaded && $0.problem == nil }
            return (ok ? "ok" : "degraded", ok, [
                ("model", .string(engine.modelID)),
                ("sessions", .object([("active", .int(engine.limiter.count)), ("limit", .int(engine.limiter.limit))])),
                ("stages", .array(stages.map(Self.stage))),
            ])
        }
    }

    static func stage(_ s: StageStatus) -> JSONValue {
        .object([
            ("index", .int(s.index)), ("endpoint", .string(s.endpoint)),
            ("layers", .array([.int(s.layerBegin), .int(s.layerEnd - 1)])), ("loaded", .bool(s.loaded)),
            ("sessions", .int(s.sessions)), ("max_sessions", .int(s.maxSessions)),
            ("forwards", .int(Int(clamping: s.forwardsDone))), ("liveness", .string(s.liveness)),
            ("problem", JSONValue.optional(s.problem) { .string($0) }),
        ])
    }

    func metrics() -> Response {
        engine.metrics.stageLiveness(engine.stageLiveness())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: engine.metrics.exposition())))
    }
}
