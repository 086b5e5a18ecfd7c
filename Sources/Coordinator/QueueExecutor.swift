import Dispatch

/// Runs an actor's jobs, one at a time, on a serial DispatchQueue of its own: off Swift's cooperative pool
/// (one thread per core), so the actor's methods may block on a ZeroMQ socket without starving other tasks.
final class QueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
