import Foundation
import Synchronization
import Wire

/// A ControlServer running on its own thread (its socket is created there: sockets are not Sendable),
/// serving until stopped. `stop()` waits for the thread to finish.
final class ServerThread: Sendable {
    let endpoint: String
    private let stopFlag: StopFlag
    private let finished = DispatchSemaphore(value: 0)

    init(context: ZMQContext, options: ZMQSocketOptions = .init(),
         handler: @escaping @Sendable (WireMessage) -> WireMessage) throws {
        let stopFlag = StopFlag()
        let ready = DispatchSemaphore(value: 0)
        let bound = Mutex<Result<String, WireError>?>(nil)
        let finished = self.finished
        Thread {
            defer { finished.signal() }
            let server: ControlServer
            do throws(WireError) {
                server = try ControlServer(context: context, bindTo: "tcp://127.0.0.1:*", options: options)
                bound.withLock { $0 = .success(server.endpoint) }
                ready.signal()
            } catch {
                bound.withLock { $0 = .failure(error) }
                ready.signal()
                return
            }
            while !stopFlag.isSet {
                _ = try? server.serveOne(timeout: .milliseconds(20), handler: handler)
            }
        }.start()
        ready.wait()
        self.stopFlag = stopFlag
        self.endpoint = try bound.withLock { $0 }?.get() ?? ""
    }

    func stop() {
        stopFlag.set()
        finished.wait()
    }
}

final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

/// A loopback endpoint nobody listens on: bind an OS-chosen port, then close it.
func deadEndpoint(_ context: ZMQContext) throws -> String {
    // Bound by a context of its own, which is terminated (zmq_ctx_term waits for its sockets to close) before
    // this returns: a socket closed in `context` itself is closed asynchronously by the I/O thread and could
    // still accept the caller's connection for a moment.
    try { () throws -> String in
        let own = try ZMQContext()
        let socket = try own.socket(.pull)
        let endpoint = try socket.bind("tcp://127.0.0.1:*")
        withExtendedLifetime(socket) {}
        return endpoint
    }()
}

/// Time taken by `body`, and its result.
func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    return (result, clock.now - start)
}

/// A value shared between a test and its helper thread.
final class LockedBox<T: Sendable>: Sendable {
    private let storage = Mutex<T?>(nil)
    var value: T? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
