import Foundation
import Wire

/// A pipeline hop on its own thread: PULL bound on loopback, each message transformed and PUSHed to
/// `next` — the shape of a worker on the data ring, without the model.
final class Relay: Sendable {
    let endpoint: String
    private let stopFlag = StopFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(context: ZMQContext, to next: String,
         transform: @escaping @Sendable (WireMessage) -> WireMessage) throws {
        let ready = DispatchSemaphore(value: 0)
        let bound = LockedBox<Result<String, WireError>>()
        let (stopFlag, finished) = (self.stopFlag, self.finished)
        Thread {
            defer { finished.signal() }
            let pull: ZMQSocket, push: ZMQSocket
            do throws(WireError) {
                pull = try context.socket(.pull)
                push = try context.socket(.push)
                try push.connect(next)
                bound.value = .success(try pull.bind("tcp://127.0.0.1:*"))
                ready.signal()
            } catch {
                bound.value = .failure(error)
                ready.signal()
                return
            }
            while !stopFlag.isSet {
                guard let message = try? pull.receiveMessage(timeout: .milliseconds(20)) else { continue }
                try? push.send(transform(message), timeout: .seconds(5))
            }
        }.start()
        ready.wait()
        endpoint = try bound.value?.get() ?? ""
    }

    func stop() {
        stopFlag.set()
        finished.wait()
    }
}
