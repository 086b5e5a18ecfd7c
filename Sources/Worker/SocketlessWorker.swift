import Wire

/// A worker's message handling without its sockets or threads: bytes in as the control ROUTER or the data PULL
/// would deliver them, the bytes it would send back (or on to the next hop) out. The same code paths as
/// `WorkerServer.run` — the IO thread's decision, the re-encoded hand-off to the compute thread, the compute
/// thread's reply — called directly, so a fuzzer can drive them at memory speed. Single-threaded.
package final class SocketlessWorker {
    private let server: WorkerServer
    private let compute: ComputeLoop
    private var greeted = Set<[UInt8]>()
    /// What HelloReply advertises; nothing is bound.
    private let dataEndpoint = "tcp://127.0.0.1:0"

    package init(options: WorkerOptions) throws {
        server = try WorkerServer(options: options)
        compute = ComputeLoop(server: server, inproc: "inproc://socketless", dataListen: dataEndpoint)
    }

    /// The reply envelope to the control request `bytes` from `peer`; nil where the real worker sends none
    /// (its compute thread could not read the hand-off: it logs and drops it).
    package func control(_ bytes: UnsafeRawBufferPointer, from peer: [UInt8]) -> [UInt8]? {
        // As ControlServer.receiveRequest reads it.
        let request: Result<Envelope, WireError> = Result { () throws(WireError) in
            try Envelope.decode(bytes, maxSize: Envelope.defaultMaxSize)
        }
        let requestID = (try? request.get())?.requestID ?? 0
        let decision = server.decide(request.map(\.message), from: peer, greeted: &greeted, dataEndpoint: dataEndpoint)
        switch decision {
        case .answer(let answer):
            return Envelope(requestID: requestID, message: answer).encode()
        case .compute(let message):
            // The IO thread re-encodes the request for the compute thread, which decodes it again.
            let handOff = Envelope(requestID: requestID, message: message).encode()
            guard let envelope = try? Envelope.decode(handOff, maxSize: Envelope.defaultMaxSize) else { return nil }
            return Envelope(requestID: envelope.requestID, message: compute.reply(to: envelope.message)).encode()
        }
    }

    /// What the data message `bytes` makes the loaded stage send to its next hop; empty when it is dropped.
    package func data(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        guard let loaded = compute.loaded else { return [] }
        return compute.outputs(for: [Array(bytes)], stage: loaded).map { $0.encode() }
    }

    /// The request of the stage loaded now, if any.
    package var loadedStage: LoadStage? { compute.loaded?.request }
}
