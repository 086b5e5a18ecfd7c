import Foundation
import Logging
import Synchronization
import Wire

/// Hands each TokenResult (or data-path Error) arriving on the coordinator's result PULL to the step waiting
/// for it. A result may arrive before its waiter parks; it is kept in the mailbox until taken. The PULL lives
/// on a `SocketThread` of its own.
final class ResultReceiver: Sendable {
    struct Key: Hashable {
        let session: UInt64
        let step: UInt64
    }

    enum Slot {
        case expecting(since: ContinuousClock.Instant)
        case waiting(CheckedContinuation<TokenResult, any Error>, since: ContinuousClock.Instant)
        case arrived(Result<TokenResult, any Error>)
    }

    private let slots = Mutex<[Key: Slot]>([:])
    private let thread: SocketThread
    /// Called on the receiving thread for every message that came through the last stage (all stages live).
    private let onTraffic: @Sendable () -> Void
    private static let logger = Logger(label: "baton.coordinator.results")

    /// Starts the receiving thread, which owns `socket` from now on.
    init(context: ZMQContext, socket: ZMQSocket, onTraffic: @escaping @Sendable () -> Void) throws {
        thread = try SocketThread(name: "baton-results", context: context, socket: socket)
        self.onTraffic = onTraffic
        thread.start { [self] socket in
            if let frames = try? socket.receive(timeout: .zero) { handle(frames) }
        }
    }

    /// Ends the receiving thread (it closes the result socket as it leaves).
    func stop() { thread.stop() }

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

    /// Ends every pending wait with `error` (a stage died: no result will come).
    func failAll(_ error: any Error) {
        let keys = slots.withLock { Array($0.keys) }
        for key in keys { fail(key, error) }
    }

    /// Ends, with the error `expired` makes for it, every wait whose step was sent before `deadline`.
    /// Returns how many steps it failed.
    @discardableResult
    func failSteps(sentBefore deadline: ContinuousClock.Instant, _ expired: (Key) -> any Error) -> Int {
        let late = slots.withLock { slots in
            slots.compactMap { key, slot -> Key? in
                switch slot {
                case .expecting(let since), .waiting(_, let since): since < deadline ? key : nil
                case .arrived: nil
                }
            }
        }
        for key in late { fail(key, expired(key)) }
        return late.count
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

    private func handle(_ frames: [[UInt8]]) {
        guard frames.count == 1 else { return }
        do {
            switch try Envelope.decode(frames[0], maxSize: Envelope.defaultMaxSize).message {
            case .tokenResult(let r):
                onTraffic()
                deliver(Key(session: r.sessionID, step: r.step), .success(r))
            case .error(let e):
                deliver(Key(session: e.sessionID, step: e.step), .failure(PipelineError(stage: Int(e.stageIndex), dataPath: e)))
            case let other:
                Self.logger.warning("unexpected message on the results socket", metadata: ["kind": "\(other.kind)"])
            }
        } catch {
            Self.logger.warning("unreadable result dropped", metadata: ["error": "\(error)"])
        }
    }
}
