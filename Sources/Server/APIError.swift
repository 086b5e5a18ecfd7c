import Foundation
import Hummingbird

/// An error the API answers with: an HTTP status and OpenAI's body `{"error":{"message","type","param","code"}}`.
/// Types follow llama-server (`invalid_request_error`, `authentication_error`, `not_found_error`,
/// `unavailable_error`, `server_error`).
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Seconds for a `Retry-After` header (503 when busy).
    public var retryAfter: Int?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil,
                retryAfter: Int? = nil) {
        self.status = status; self.message = message; self.type = type
        self.param = param; self.code = code; self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body())))
    }

    /// The JSON body, `param` and `code` written as null when absent.
    public func body() -> [UInt8] {
        JSONValue.object([
            ("error", .object([
                ("message", .string(message)), ("type", .string(type)),
                ("param", param.map(JSONValue.string) ?? .null), ("code", code.map(JSONValue.string) ?? .null),
            ])),
        ]).bytes
    }
}

extension APIError {
    static func invalid(_ param: String?, _ message: String, code: String = "invalid_value") -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    static func promptTooLong(promptTokens: Int, contextLength: Int, param: String) -> APIError {
        APIError(status: .badRequest,
                 message: "the prompt has \(promptTokens) tokens but the context holds \(contextLength): shorten the prompt",
                 type: "invalid_request_error", param: param, code: "context_length_exceeded")
    }

    static func tooLarge(_ message: String, param: String? = nil) -> APIError {
        APIError(status: .contentTooLarge, message: message, type: "invalid_request_error", param: param, code: "request_too_large")
    }

    static let unauthorized = APIError(status: .unauthorized, message: "missing or wrong API key: send it as 'Authorization: Bearer KEY'",
                                       type: "authentication_error", code: "invalid_api_key")

    static func notFound(_ message: String, param: String? = nil, code: String = "not_found") -> APIError {
        APIError(status: .notFound, message: message, type: "not_found_error", param: param, code: code)
    }

    static func unavailable(_ message: String, retryAfter: Int? = nil, code: String = "unavailable") -> APIError {
        APIError(status: .serviceUnavailable, message: message, type: "unavailable_error", code: code, retryAfter: retryAfter)
    }

    static func `internal`(requestID: String) -> APIError {
        APIError(status: .internalServerError,
                 message: "internal error (request \(requestID)); the server log has the details",
                 type: "server_error", code: "internal_error")
    }
}
