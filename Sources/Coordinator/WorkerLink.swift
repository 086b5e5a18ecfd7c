import Foundation
import Wire

/// The coordinator's control link to one worker. Requests from any task are serialized by a lock (a ZeroMQ
/// socket may move between threads only behind a full memory barrier, which the lock provides).
final class WorkerLink: @unchecked Sendable {
    let endpoint: String
    let stageIndex: Int
    private let lock = NSLock()
    private let connection: Connection
    private(set) var hello: HelloReply?

    init(context: ZMQContext, endpoint: String, stageIndex: Int, options: ZMQSocketOptions = .control) throws {
        self.endpoint = endpoint
        self.stageIndex = stageIndex
        connection = try Connection(context: context, endpoint: endpoint, options: options)
    }

    func request(_ message: WireMessage, timeout: Duration) throws -> WireMessage {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try connection.request(message, timeout: timeout)
        } catch {
            throw PipelineError.stage(index: stageIndex, endpoint: endpoint, error)
        }
    }

    /// Runs `body` with the connection held exclusively (a weight transfer keeps several requests in flight).
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body(connection)
        } catch {
            throw PipelineError.stage(index: stageIndex, endpoint: endpoint, error)
        }
    }

    func greet(timeout: Duration) throws -> HelloReply {
        lock.lock()
        defer { lock.unlock() }
        do {
            let reply = try connection.hello(peerID: "coordinator:\(getpid())", timeout: timeout)
            hello = reply
            return reply
        } catch {
            throw PipelineError.stage(index: stageIndex, endpoint: endpoint, error)
        }
    }

    /// The worker's data endpoint, with a wildcard host replaced by the host this link reaches it at.
    var dataEndpoint: String? {
        guard let data = hello?.dataEndpoint else { return nil }
        guard data.contains("://*:") || data.contains("://0.0.0.0:"), let host = Self.host(of: endpoint),
              let port = data.split(separator: ":").last else { return data }
        return "tcp://\(host):\(port)"
    }

    /// "tcp://10.0.0.2:7101" → "10.0.0.2".
    static func host(of endpoint: String) -> String? {
        guard let scheme = endpoint.range(of: "://"), let colon = endpoint.lastIndex(of: ":"),
              colon > scheme.upperBound else { return nil }
        return String(endpoint[scheme.upperBound..<colon])
    }
}

/// What can go wrong across the pipeline, naming the stage and worker.
public enum PipelineError: Error, CustomStringConvertible {
    case stage(index: Int, endpoint: String, any Error)
    case unavailable(index: Int, endpoint: String, reason: String)
    case remote(index: Int, ErrorMessage)
    case notConnected(String)

    public var description: String {
        switch self {
        case .stage(let i, let endpoint, let error):
            "stage \(i) (worker \(endpoint)): \(error)"
        case .unavailable(let i, let endpoint, let reason):
            "stage \(i) (worker \(endpoint)) is unavailable: \(reason); restart it and retry"
        case .remote(let i, let message):
            "stage \(i) failed: \(message.message)"
        case .notConnected(let why):
            "the pipeline is not ready: \(why)"
        }
    }

    /// A stage that is gone, lost its state, or answered that it does not know this coordinator: setting the
    /// pipeline up again may cure it. (Errors about the request itself are not stage failures.)
    public var isStageFailure: Bool {
        switch self {
        case .unavailable, .notConnected: true
        case .stage(_, _, let error as WireError):
            switch error {
            case .remote(let m): [.badRequest, .notLoaded, .unknownSession].contains(m.code)
            default: true
            }
        case .stage, .remote: false
        }
    }

    /// The wire error code behind it, when a stage answered with one.
    public var code: ErrorCode? {
        switch self {
        case .remote(_, let m): m.code
        case .stage(_, _, WireError.remote(let m)): m.code
        default: nil
        }
    }
}
