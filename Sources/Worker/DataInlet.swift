import Foundation
import Llama
import Wire

/// The data ring's limits on one worker, sized from the loaded model so that what peers can make it hold is
/// bounded in bytes: the largest message is a batch of hidden rows (n_embd f32, with each row's token, position
/// and a ForwardBatch member's fields and timings) from a previous stage whose `--batch-size` is up to
/// `neighbourBatches` times this worker's, and each queue — the data PULL's and the PUSH's to the next hop —
/// holds about `queueBytes` of such messages.
struct DataLimits: Equatable {
    let maxMessageBytes: Int
    let queueMessages: Int32

    /// Before any stage is loaded every data message is dropped unread: room for little.
    static let unloaded = DataLimits(maxMessageBytes: 64 << 10, queueMessages: 16)
    static let queueBytes = 256 << 20
    /// What a row carries besides its hidden state, generously (a ForwardBatch of one-token members repeats
    /// the session fields and every earlier stage's timing per row).
    static let rowOverhead = 1 << 10
    /// The previous stage batches up to its own `--batch-size` rows: workers of one ring may be started with
    /// different ones (this worker splits what it reads into batches of its own).
    static let neighbourBatches = 4

    init(maxMessageBytes: Int, queueMessages: Int32) {
        self.maxMessageBytes = maxMessageBytes
        self.queueMessages = queueMessages
    }

    /// For a stage of `embedding`-wide hidden states and batches of `maxBatch` rows (`checkDataMessages` has
    /// refused batch sizes whose messages would pass `Envelope.defaultMaxSize`).
    init(embedding: Int, maxBatch: Int) {
        let row = saturatingSum([saturatingProduct([embedding, MemoryLayout<Float>.size]), Self.rowOverhead])
        let rows = saturatingProduct([maxBatch, Self.neighbourBatches, row])
        maxMessageBytes = min(Envelope.defaultMaxSize, saturatingSum([rows, 64 << 10]))
        queueMessages = Int32(clamping: min(1000, max(32, Self.queueBytes / max(1, maxMessageBytes))))
    }
}

/// The stage's data PULL, bound with the limits in force. libzmq copies a socket's message-size limit and queue
/// length into each connection as it accepts it, so new limits mean a fresh socket bound on the same endpoint;
/// the previous hop connects after this stage is loaded (the coordinator loads the last stage first), and a
/// PUSH already connected reconnects by itself. Used by the compute thread only.
final class DataInlet {
    private(set) var socket: ZMQSocket
    /// The endpoint actually bound (an OS-chosen port resolved), which HelloReply advertises.
    let endpoint: String
    private(set) var limits: DataLimits
    private let context: ZMQContext
    private let curve: CurveRole?

    init(context: ZMQContext, listen: String, curve: CurveRole?) throws {
        self.context = context
        self.curve = curve
        limits = .unloaded
        socket = try context.socket(.pull, options: Self.options(.unloaded, curve: curve))
        endpoint = try socket.bind(listen)
    }

    /// Binds again with `limits` unless they are in force. When the endpoint cannot be bound again, the old
    /// socket and limits stay and the error says so.
    func rebind(_ limits: DataLimits) throws {
        guard limits != self.limits else { return }
        let fresh = try context.socket(.pull, options: Self.options(limits, curve: curve))
        try socket.unbind(endpoint)
        Self.waitForTheOldListener(endpoint)
        guard Self.bind(fresh, endpoint) else {
            _ = Self.bind(socket, endpoint)
            throw WireError.invalid("could not bind the data socket \(endpoint) again with the loaded model's limits")
        }
        socket = fresh
        self.limits = limits
    }

    private static func options(_ limits: DataLimits, curve: CurveRole?) -> ZMQSocketOptions {
        var options = ZMQSocketOptions()
        options.maxMessageSize = limits.maxMessageBytes
        options.receiveHighWaterMark = limits.queueMessages
        options.curve = curve
        return options
    }

    /// An ipc:// listener removes its socket file when libzmq closes it, on its IO thread: binding the path again
    /// before that happened would lose the new file. Waits (up to 2 s) until the old one is gone.
    private static func waitForTheOldListener(_ endpoint: String) {
        guard endpoint.hasPrefix("ipc://"), !endpoint.hasPrefix("ipc://@") else { return }
        let path = String(endpoint.dropFirst("ipc://".count))
        for _ in 0..<400 where FileManager.default.fileExists(atPath: path) { usleep(5_000) }
    }

    /// libzmq closes an unbound listener on its IO thread, so a port may stay taken for a moment: retries for
    /// up to 2 s.
    private static func bind(_ socket: ZMQSocket, _ endpoint: String) -> Bool {
        for _ in 0..<400 {
            if (try? socket.bind(endpoint)) != nil { return true }
            usleep(5_000)
        }
        return false
    }
}
