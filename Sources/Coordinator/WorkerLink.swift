import Foundation
import Wire

/// The coordinator's control link to one worker.
///
/// The coordinator's concurrency model: each worker link is an actor whose jobs run on a serial queue of its
/// own (`QueueExecutor`), so its socket is touched by one job at a time and a blocking ZeroMQ request never
/// holds one of Swift's cooperative threads; results arrive on `ResultReceiver`'s thread; what the rest
/// shares (sessions, liveness, statistics) sits in `Mutex`es held for a few instructions.
actor WorkerLink {
    nonisolated let endpoint: String
    nonisolated let stageIndex: Int
    private let executor: QueueExecutor
    private let connection: Connection
    private(set) var hello: HelloReply?

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(context: ZMQContext, endpoint: String, stageIndex: Int, options: ZMQSocketOptions = .control) throws {
        self.endpoint = endpoint
        self.stageIndex = stageIndex
        executor = QueueExecutor(label: "baton.link.\(stageIndex)")
        connection = try Connection(context: context, endpoint: endpoint, options: options)
    }

    /// One request and its reply; any failure is a `PipelineError` naming this stage.
    func request(_ message: WireMessage, timeout: Duration) throws(PipelineError) -> WireMessage {
        do { return try connection.request(message, timeout: timeout) } catch {
            throw PipelineError(stage: stageIndex, endpoint: endpoint, error)
        }
    }

    /// A weight transfer, which keeps several requests in flight on this link.
    func stream(_ streamer: WeightStreamer) throws(PipelineError) -> WeightTransferReport {
        do { return try streamer.stream(over: connection) } catch {
            throw PipelineError(stage: stageIndex, endpoint: endpoint, error)
        }
    }

    func greet(timeout: Duration) throws(PipelineError) -> HelloReply {
        do {
            let reply = try connection.hello(peerID: "coordinator:\(getpid())", timeout: timeout)
            hello = reply
            return reply
        } catch {
            throw PipelineError(stage: stageIndex, endpoint: endpoint, error)
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
