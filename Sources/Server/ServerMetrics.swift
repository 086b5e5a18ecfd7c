import Coordinator
import Prometheus

/// The server's Prometheus metrics (GET /metrics): requests, tokens, time to first token, per-token latency,
/// per-stage forward time and liveness, and active sessions.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let promptTokens: Counter
    private let generatedTokens: Counter
    private let timeToFirstToken: DurationHistogram
    private let tokenLatency: DurationHistogram
    private let activeSessions: Gauge

    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80),
        .milliseconds(160), .milliseconds(320), .milliseconds(640), .milliseconds(1280), .milliseconds(2560),
        .seconds(5), .seconds(10), .seconds(30),
    ]
    static let forwardBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        promptTokens = registry.makeCounter(descriptor: Self.name("prompt_tokens", "total", "Prompt tokens evaluated"))
        generatedTokens = registry.makeCounter(descriptor: Self.name("generated_tokens", "total", "Tokens generated"))
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: Self.name("time_to_first_token", "seconds", "From request start to the first generated token"),
            buckets: Self.latencyBuckets)
        tokenLatency = registry.makeDurationHistogram(
            descriptor: Self.name("token_latency", "seconds", "Time between consecutive generated tokens of a stream"),
            buckets: Self.latencyBuckets)
        activeSessions = registry.makeGauge(descriptor: Self.name("active_sessions", "", "Generations in flight"))
    }

    /// `baton_<metric>_<unit>`; an empty unit is left out.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "baton", metricName: metric, unitName: unit, helpText: help)
    }

    /// One finished HTTP request.
    public func request(endpoint: String, status: Int) {
        registry.makeCounter(descriptor: Self.name("requests", "total", "HTTP requests by endpoint and status"),
                             labels: [("endpoint", endpoint), ("status", String(status))]).increment()
    }

    func prompt(tokens: Int) { promptTokens.increment(by: Int64(tokens)) }
    func generated(tokens: Int) { generatedTokens.increment(by: Int64(tokens)) }
    func firstToken(after duration: Duration) { timeToFirstToken.record(duration) }
    func interToken(_ duration: Duration) { tokenLatency.record(duration) }
    func sessions(_ count: Int) { activeSessions.set(Double(count)) }

    /// What each stage reported about one step: compute time of its forward pass (a batch, shared with the
    /// other sessions in it), the time the step waited in the stage first, and that batch's sessions.
    public func stageStep(_ t: StageStepTiming) {
        let stage = [("stage", String(t.stage))]
        registry.makeDurationHistogram(
            descriptor: Self.name("stage_forward", "seconds", "Compute time of one forward pass (batch) per pipeline stage"),
            labels: stage, buckets: Self.forwardBuckets
        ).record(.nanoseconds(Int64(t.computeSeconds * 1e9)))
        registry.makeDurationHistogram(
            descriptor: Self.name("stage_queue", "seconds", "Time a step waited in a stage before its batch was computed"),
            labels: stage, buckets: Self.forwardBuckets
        ).record(.nanoseconds(Int64(t.queueSeconds * 1e9)))
        guard t.batchSessions > 0 else { return }
        registry.makeValueHistogram(
            descriptor: Self.name("stage_batch_sessions", "", "Sessions per batch a stage computed (continuous batching)"),
            labels: stage, buckets: Self.batchBuckets
        ).record(Double(t.batchSessions))
    }

    /// A request that started from an earlier one's KV: `positions` prompt tokens not evaluated again.
    public func prefixReuse(positions: Int) {
        registry.makeCounter(descriptor: Self.name("prefix_cache_hits", "total", "Requests that started from a cached prompt prefix"))
            .increment()
        registry.makeCounter(descriptor: Self.name("prefix_cache_reused_tokens", "total", "Prompt tokens taken from cached prefixes"))
            .increment(by: Int64(positions))
    }

    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64]

    /// One gauge per stage and liveness state (alive, suspect, dead): 1 for the stage's current state, 0 for the
    /// others, so `baton_stage_liveness{state="dead"} == 1` alerts on a dead stage.
    func stageLiveness(_ states: [String]) {
        for (stage, current) in states.enumerated() {
            for state in ["alive", "suspect", "dead"] {
                registry.makeGauge(descriptor: Self.name("stage_liveness", "", "Heartbeat liveness of each pipeline stage"),
                                   labels: [("stage", String(stage)), ("state", state)]).set(Double(state == current ? 1 : 0))
            }
        }
    }

    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
