import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Where and how the HTTP server listens.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Required as `Authorization: Bearer KEY` when set.
    public var apiKey: String?
    /// Largest request body accepted; a larger one gets 413.
    public var maxBodyBytes = 32 << 20
    /// How long a connection may send nothing — mid-header, mid-body or between requests — before it is closed,
    /// so half-sent requests do not hold connections. A response being written (a long stream) is not idle.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a SIGTERM/SIGINT waits for open requests before cancelling them.
    public var shutdownGrace: Duration = .seconds(30)

    public init() {}
}

/// The HTTP API: routes, middleware, and the service group that runs it until SIGTERM/SIGINT.
public struct BatonServer: Sendable {
    public let engine: ServingEngine
    public let options: ServerOptions
    let logger = Logger(label: "baton.http")

    public init(engine: ServingEngine, options: ServerOptions) {
        self.engine = engine
        self.options = options
    }

    /// Runs the server and `services` (e.g. the stage loader) until a shutdown signal. `onListening` gets the
    /// bound host and port (the port is the OS's choice when `options.port` is 0).
    public func run(services: [any Service] = [], onListening: @escaping @Sendable (String, Int) -> Void) async throws {
        let app = application(onListening: onListening)
        var config = ServiceGroupConfiguration(
            services: [.init(service: app)] + services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = options.shutdownGrace
        try await ServiceGroup(configuration: config).run()
    }

    /// The HTTP/1 application with this server's routes and connection limits (tests run it live too).
    func application(onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in })
        -> Application<RouterResponder<BasicRequestContext>> {
        Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: TimeAmount(options.idleTimeout))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "baton"),
            onServerRunning: { channel in onListening(options.host, channel.localAddress?.port ?? options.port) },
            logger: logger)
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware(metrics: engine.metrics, logger: logger))
        let key = options.apiKey
        if let key { router.add(middleware: APIKeyMiddleware(key: key)) }
        let completion = CompletionRoute(engine: engine), chat = ChatRoute(engine: engine)
        let info = InfoRoutes(engine: engine, started: Int(Date().timeIntervalSince1970))
        let tokenize = TokenizeRoutes(engine: engine)
        let limit = options.maxBodyBytes
        router.post("/v1/completions") { request, _ in
            try await Self.cancelledIfTheClientLeaves(request) { try await completion.handle(try await Self.fields($0, limit)) }
        }
        router.post("/v1/chat/completions") { request, _ in
            try await Self.cancelledIfTheClientLeaves(request) { try await chat.handle(try await Self.fields($0, limit)) }
        }
        router.get("/v1/models") { _, _ in info.models() }
        router.get("/models") { _, _ in info.models() }
        // Without the key (when one is set) /health says only whether the server is ready: the stage map names
        // the workers' addresses and the split.
        router.get("/health") { request, _ in
            await info.health(detailed: key.map { APIKey.authorized(request, key: $0) } ?? true)
        }
        router.get("/metrics") { _, _ in info.metrics() }
        router.post("/tokenize") { request, _ in try tokenize.tokenize(try await Self.fields(request.body, limit)) }
        router.post("/detokenize") { request, _ in try tokenize.detokenize(try await Self.fields(request.body, limit)) }
        router.post("/apply-template") { request, _ in try tokenize.applyTemplate(try await Self.fields(request.body, limit)) }
        return router
    }

    /// Runs a generation handler, cancelled (which closes its session on every worker) as soon as the client
    /// closes its connection, even while nothing is being written: a long prompt's evaluation, or a whole
    /// non-streaming generation. Hummingbird watches the connection's inbound side for that; the price is that
    /// the connection closes after the response instead of being kept alive.
    static func cancelledIfTheClientLeaves(_ request: Request, _ handle: (RequestBody) async throws -> Response)
        async throws -> Response
    {
        try await request.body.consumeWithCancellationOnInboundClose(handle)
    }

    /// The request body as JSON fields (400 when it is not a JSON object, 413 when too large).
    static func fields(_ requestBody: RequestBody, _ limit: Int) async throws -> RequestFields {
        let body: ByteBuffer
        do {
            body = try await requestBody.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge("the request body is larger than the \(limit) bytes this server accepts")
        }
        return try RequestFields.parse(body)
    }
}
