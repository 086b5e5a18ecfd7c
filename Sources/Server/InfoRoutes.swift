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

    /// 503 while loading or when a stage is down; 200 with the stage map when every stage answers loaded.
    func health() async -> Response {
        switch engine.readiness.current {
        case .loading(let what):
            return .json(.object([("status", .string("loading")), ("message", .string(what))]), status: .serviceUnavailable)
        case .failed(let why):
            return .json(.object([("status", .string("error")), ("message", .string(why))]), status: .serviceUnavailable)
        case .ready:
            let stages = await engine.stageStatus()
            let ok = !stages.isEmpty && stages.allSatisfy { $0.loaded && $0.problem == nil }
            return .json(.object([
                ("status", .string(ok ? "ok" : "degraded")), ("model", .string(engine.modelID)),
                ("sessions", .object([("active", .int(engine.limiter.count)), ("limit", .int(engine.limiter.limit))])),
                ("stages", .array(stages.map(Self.stage))),
            ]), status: ok ? .ok : .serviceUnavailable)
        }
    }

    static func stage(_ s: StageStatus) -> JSONValue {
        .object([
            ("index", .int(s.index)), ("endpoint", .string(s.endpoint)),
            ("layers", .array([.int(s.layerBegin), .int(s.layerEnd - 1)])), ("loaded", .bool(s.loaded)),
            ("sessions", .int(s.sessions)), ("max_sessions", .int(s.maxSessions)),
            ("forwards", .int(Int(clamping: s.forwardsDone))), ("problem", JSONValue.optional(s.problem) { .string($0) }),
        ])
    }

    func metrics() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: engine.metrics.exposition())))
    }
}
