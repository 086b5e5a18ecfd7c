import Hummingbird
import Logging

/// Outermost middleware: every error becomes an OpenAI-shaped body with the right status (unknown routes
/// 404, unexpected errors 500 with a request id that the log line carries too), and every request is counted.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let logger: Logger

    /// Endpoints get their own metric label; anything else is "other" (no unbounded label values).
    static var endpoints: Set<String> {
        ["/v1/completions", "/v1/chat/completions", "/v1/models", "/models", "/health", "/metrics", "/tokenize",
         "/detokenize", "/apply-template"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let label = Self.endpoints.contains(path) ? path : "other"
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = apiError(for: error, request: request)
            // Successful generations log their own line (tokens, timings); failures get this one.
            logger.info("request failed", metadata: [
                "method": "\(request.method)", "path": "\(path)", "status": "\(apiError.status.code)", "error": "\(apiError.message)",
            ])
            response = try apiError.response(from: request, context: context)
        }
        metrics.request(endpoint: label, status: Int(response.status.code))
        return response
    }

    private func apiError(for error: any Error, request: Request) -> APIError {
        if let known = APIError.from(error) { return known }
        if let http = error as? HTTPError {
            if http.status == .notFound { return .notFound("no route for \(request.method) \(request.uri.path)") }
            let message = http.body ?? http.status.reasonPhrase
            if (400..<500).contains(http.status.code) {
                return APIError(status: http.status, message: message, type: "invalid_request_error")
            }
        }
        if error is CancellationError {
            return .unavailable("the server is shutting down", code: "shutting_down")
        }
        let id = RequestID.make(prefix: "req")
        logger.error("internal error", metadata: ["request": "\(id)", "path": "\(request.uri.path)", "error": "\(error)"])
        return .internal(requestID: id)
    }
}

/// Requires `Authorization: Bearer KEY` on everything but /health (which load balancers and scripts poll; without
/// the key it answers only the status).
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path != "/health" else { return try await next(request, context) }
        guard APIKey.authorized(request, key: key) else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}

enum APIKey {
    /// Whether `request` carries `Authorization: Bearer KEY`.
    static func authorized(_ request: Request, key: String) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(key.utf8))
    }

    /// Compares without stopping at the first difference, so timing does not reveal a prefix of the key.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
