import Foundation

/// Waits for a child `Process` to end, with a deadline, instead of `waitUntilExit()`. That call spins the calling
/// thread's run loop and relies on Foundation delivering the exit there; called from test threads (the
/// cooperative pool, detached threads) it can wait forever for a child that has already exited, a known
/// swift-corelibs-foundation hazard that shows as a whole suite hanging. So the end is seen either way: from the
/// termination handler (installed here: create this before `run()`), or from the kernel, asking (without
/// reaping it, which stays Foundation's job) whether the child has exited.
public final class ChildExit: Sendable {
    /// How a child ended: its exit status, or the signal that killed it.
    public struct Ending: Sendable, Equatable {
        public let code: Int32
        public let bySignal: Bool

        public init(code: Int32, bySignal: Bool) { self.code = code; self.bySignal = bySignal }
        /// As a shell reports it: the status, or 128 + the signal.
        public var shellStatus: Int32 { bySignal ? 128 + code : code }
    }

    private let exited = DispatchSemaphore(value: 0)
    private let ended = Locked<Ending?>(nil)

    public init(_ process: Process) {
        process.terminationHandler = { [exited, ended] process in
            let ending = Ending(code: process.terminationStatus, bySignal: process.terminationReason != .exit)
            ended.update { $0 = $0 ?? ending }
            exited.signal()
        }
    }

    /// How it ended; nil while it runs.
    public var ending: Ending? { ended.get() }

    /// Waits up to `timeout` for `process` to end; true if it did.
    @discardableResult
    public func wait(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while ending == nil {
            if exited.wait(timeout: .now() + 0.1) == .success { exited.signal(); break }
            noteIfExited(process.processIdentifier)
            if Date() >= deadline { break }
        }
        return ending != nil
    }

    /// Sends `signal` and waits up to `grace` for the end; past it, SIGKILL and up to 30 s more. False (with a
    /// line on stderr naming `what`) if even that did not end it.
    @discardableResult
    public func end(_ process: Process, signal: Int32, grace: TimeInterval, what: String) -> Bool {
        guard ending == nil, process.processIdentifier > 0 else { return true }
        kill(process.processIdentifier, signal)
        if wait(process, timeout: grace) { return true }
        if signal != SIGKILL {
            FileHandle.standardError.write(Data("\(what) did not exit within \(Int(grace)) s of signal \(signal): killed\n".utf8))
            kill(process.processIdentifier, SIGKILL)
            if wait(process, timeout: 30) { return true }
        }
        FileHandle.standardError.write(Data("\(what) (pid \(process.processIdentifier)) has not exited\n".utf8))
        return false
    }

    /// Notes the status of a child that has exited although Foundation has not said so yet. WNOWAIT leaves it a
    /// zombie for Foundation to reap.
    private func noteIfExited(_ pid: pid_t) {
        guard pid > 0 else { return }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid else { return }
        let ending = Ending(code: info._sifields._sigchld.si_status, bySignal: info.si_code != Int32(CLD_EXITED))
        ended.update { $0 = $0 ?? ending }
    }
}
