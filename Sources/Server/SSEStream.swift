import Hummingbird
import Logging

/// What a streaming generation produces: a JSON chunk, the closing `[DONE]`, or an error.
enum SSEFrame: Sendable {
    case chunk(JSONValue)
    case done
    case failure(any Error)
}

/// Server-Sent Events exactly as OpenAI sends them: `data: {json}\n\n` per chunk, then `data: [DONE]\n\n`.
///
/// The producer runs in its own task. The handler waits for its first frame before answering, so an error
/// that comes before any output (a worker down, the session limit) is a real HTTP status, not a 200 with an
/// error event. After that, a failed write means the client went away: the producer is cancelled, which
/// ends the generation and closes its session on every worker.
enum SSEStream {
    static func response(logger: Logger, produce: @escaping @Sendable (AsyncStream<SSEFrame>.Continuation) async -> Void)
        async throws -> Response
    {
        let (frames, continuation) = AsyncStream<SSEFrame>.makeStream()
        let producer = Task {
            await produce(continuation)
            continuation.finish()
        }
        let source = FrameSource(frames.makeAsyncIterator())
        let first = await withTaskCancellationHandler { await source.next() } onCancel: { producer.cancel() }
        if case .failure(let error)? = first { throw error }

        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var frame = first
            do {
                while let current = frame {
                    try await writer.write(ByteBuffer(bytes: encode(current, logger: logger)))
                    guard case .chunk = current else { break }   // [DONE] or an error ends the stream
                    frame = await source.next()
                }
                try await writer.finish(nil)
            } catch {
                producer.cancel()
                await producer.value
                throw error
            }
        })
    }

    /// The bytes of one frame; an error becomes an OpenAI error object.
    static func encode(_ frame: SSEFrame, logger: Logger) -> [UInt8] {
        switch frame {
        case .chunk(let json): return event(json.bytes)
        case .done: return Array("data: [DONE]\n\n".utf8)
        case .failure(let error):
            let apiError = APIError.from(error) ?? {
                let id = RequestID.make(prefix: "err")
                logger.error("stream failed", metadata: ["request": "\(id)", "error": "\(error)"])
                return .internal(requestID: id)
            }()
            return event(apiError.body())
        }
    }

    static func event(_ json: [UInt8]) -> [UInt8] {
        Array("data: ".utf8) + json + Array("\n\n".utf8)
    }
}

/// The frame iterator, used first by the handler (first frame) and then by the response body writer, never
/// by both at once: the handler has returned before the body is written.
private final class FrameSource: @unchecked Sendable {
    private var iterator: AsyncStream<SSEFrame>.AsyncIterator

    init(_ iterator: AsyncStream<SSEFrame>.AsyncIterator) { self.iterator = iterator }

    func next() async -> SSEFrame? { await iterator.next() }
}
