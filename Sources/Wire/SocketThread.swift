import Foundation
import Synchronization

/// A thread that owns one socket: it blocks in zmq_poll on that socket and on a wake-up pair, hands the socket to
/// `handle` whenever a message can be received, and ends when `stop` is called, dropping the socket as it leaves.
/// No timer and no polling: it sleeps in the kernel until there is work.
public final class SocketThread: Sendable {
    /// The sending end of the wake-up pair; taken (and used once) by `stop`.
    private let wake: Mutex<ZMQSocket?>
    private let owned: Mutex<Owned?>

    /// `socket` is the thread's from now on: the caller must not touch it again.
    public init(name: String, context: ZMQContext, socket: ZMQSocket) throws(WireError) {
        let endpoint = "inproc://baton-wake-\(name)-\(UInt64.random(in: 0...UInt64.max))"
        let wakeIn = try context.socket(.pair)
        try wakeIn.bind(endpoint)
        let wakeOut = try context.socket(.pair)
        try wakeOut.connect(endpoint)
        wake = Mutex(wakeOut)
        owned = Mutex(Owned(name: name, socket: socket, wake: wakeIn))
    }

    /// Starts the thread (once); `handle` runs on it, with the socket, each time a message is waiting.
    public func start(_ handle: @escaping @Sendable (ZMQSocket) -> Void) {
        guard let owned = owned.withLock({ o -> Owned? in defer { o = nil }; return o }) else { return }
        let thread = Thread {
            while let ready = try? ZMQPoller.readable([owned.socket, owned.wake], timeout: .seconds(3600)), !ready[1] {
                if ready[0] { handle(owned.socket) }
            }
        }
        thread.name = owned.name
        thread.start()
    }

    /// Ends the thread (idempotent); it leaves after the message it may be handling.
    public func stop() {
        guard let socket = wake.withLock({ w -> ZMQSocket? in defer { w = nil }; return w }) else { return }
        try? socket.send([0], timeout: .seconds(1))
    }

    deinit { stop() }
}

/// The sockets the thread owns. Invariant (why they may cross into it): `init` hands them over and `start` moves
/// them to the thread, so only that thread ever uses them.
private struct Owned: @unchecked Sendable {
    let name: String
    let socket: ZMQSocket
    let wake: ZMQSocket
}
