import Foundation
import Logging
import Synchronization
import Wire

/// Owns the coordinator's result PULL on its own thread and hands each TokenResult (or data-path Error) to the
/// step waiting for it. A result may arrive before its waiter parks; it is kept in the mailbox until taken.
final class ResultReceiver: @unchecked Sendable {
    struct Key: Hashable {
        let session: UInt64
        let step: UInt64
    }

    enum Slot {
        case expecting(since: ContinuousClock.Instant)
        case waiting(CheckedContinuation<TokenResult, any Error>, since: ContinuousClock.Instant)
        case arrived(Result<TokenResult, any Error>)
    }

    private let socket: ZMQSocket
    private let slots = Mutex<[Key: Slot]>([:])
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let logger = Logger(label: "baton.coordinator.results")

    init(socket: ZMQSocket) { self.socket = socket }

    func start() {
        let thread = Thread { [self] in
            while !stopFlag.load(ordering: .relaxed) { receiveOne() }
            finished.signal()
        }
        thread.name = "baton-results"
        thread.start()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        finished.wait()
    }

    /// Registers interest in a result before its Forward is sent.
    func expect(_ key: Key) {
        slots.withLock { $0[key] = .expecting(since: .now) }
    }

    /// Waits for the result of `key` (which must have been expected); cancellation ends the wait.
    func wait(_ key: Key) async throws -> TokenResult {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<TokenResult, any Error>? = slots.withLock { slots in
                    switch slots[key] {
                    case .arrived(let result): slots[key] = nil; return result
                    case .expecting(let since): slots[key] = .waiting(continuation, since: since); return nil
                    default: return .failure(CancellationError())
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            fail(key, CancellationError())
        }
    }

    /// Ends the wait for `key` with an error (a dead stage, cancellation).
    func fail(_ key: Key, _ error: any Error) {
        deliver(key, .failure(error))
    }

    /// Forgets everything of a session (late results of a closed session are dropped).
    func forget(session: UInt64) {
        let orphans = slots.withLock { slots -> [CheckedContinuation<TokenResult, any Error>] in
            let keys = slots.keys.filter { $0.session == session }
            return keys.compactMap { key in
                defer { slots[key] = nil }
                if case .waiting(let c, _) = slots[key] { return c } else { return nil }
            }
        }
        orphans.forEach { $0.resume(throwing: CancellationError()) }
    }

    /// When the longest-waiting step was sent, if any step is waiting.
    func oldestPending() -> ContinuousClock.Instant? {
        slots.withLock { slots in
            slots.values.compactMap { slot -> ContinuousClock.Instant? in
                switch slot {
                case .expecting(let since), .waiting(_, let since): since
                case .arrived: nil
                }
            }.min()
        }
    }

    /// Ends every pending wait with `error` (a stage died: no result will come).
    func failAll(_ error: any Error) {
        let keys = slots.withLock { Array($0.keys) }
        for key in keys { fail(key, error) }
    }

    private func deliver(_ key: Key, _ result: Result<TokenResult, any Error>) {
        let waiter = slots.withLock { slots -> CheckedContinuation<TokenResult, any Error>? in
            switch slots[key] {
            case .waiting(let c, _): slots[key] = nil; return c
            case .expecting: slots[key] = .arrived(result); return nil
            default: return nil      // nobody asked, or already answered: a late or duplicate result
            }
        }
        waiter?.resume(with: result)
    }

    private func receiveOne() {
        let frames: [[UInt8]]
        do { frames = try socket.receive(timeout: .milliseconds(100)) } catch { return }
        guard frames.count == 1 else { return }
        do {
            switch try Envelope.decode(frames[0], maxSize: Envelope.defaultMaxSize).message {
            case .tokenResult(let r):
                deliver(Key(session: r.sessionID, step: r.step), .success(r))
            case .error(let e):
                deliver(Key(session: e.sessionID, step: e.step), .failure(PipelineError.remote(index: Int(e.stageIndex), e)))
            case let other:
                logger.warning("unexpected message on the results socket", metadata: ["kind": "\(other.kind)"])
            }
        } catch {
            logger.warning("unreadable result dropped", metadata: ["error": "\(error)"])
        }
    }
}
