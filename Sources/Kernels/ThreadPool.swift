// A fork-join pool for short parallel loops (a mat-vec is 30–150 µs, so dispatch must cost a few µs).
// Workers are persistent pthreads that spin on a generation counter for a while after each job, then
// sleep on a condition variable. The calling thread always takes part 0 of every job.

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Invariant for `@unchecked Sendable`: `workers` is written only by init and deinit; jobs pass through
/// `PoolShared` (release/acquire on its generation counter), one `run` at a time per pool.
public final class ThreadPool: @unchecked Sendable {
    /// Threads taking part in each job, the caller included.
    public let threads: Int
    private let shared: PoolShared
    private var workers: [pthread_t] = []

    /// `threads` is clamped to at least 1; with 1 every job runs inline on the caller.
    public init(threads: Int) {
        self.threads = max(1, threads)
        shared = PoolShared(parts: self.threads)
        for index in 1..<self.threads {
            let context = Unmanaged.passRetained(WorkerContext(shared: shared, index: index)).toOpaque()
            var thread = pthread_t()
            if pthread_create(&thread, nil, workerMain, context) == 0 {
                workers.append(thread)
            } else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
                shared.markDead(index)  // its part runs on the caller instead
            }
        }
    }

    deinit {
        shared.shutdown()
        for thread in workers { pthread_join(thread, nil) }
    }

    /// Calls `body(i)` for every i in 0..<count, split into contiguous chunks across the threads;
    /// returns when all calls are done.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        parallelRanges(count) { range in
            for i in range { body(i) }
        }
    }

    /// Calls `body` once per thread with that thread's contiguous chunk of 0..<count (empty chunks are
    /// skipped); returns when all are done. Nested or concurrent calls run inline rather than deadlock.
    public func parallelRanges(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        guard threads > 1, count > 1, shared.tryAcquire() else {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { escaping in
            shared.run(count: count, body: escaping)
        }
        shared.release()
    }

    /// Physical cores (unique core ids per package) from /proc/cpuinfo, then sysfs topology, falling
    /// back to the number of online processors.
    public static var physicalCores: Int { CPUTopology.physicalCores() }
}

/// The chunk of 0..<count that part `index` of `parts` handles.
@inline(__always)
func chunk(_ count: Int, parts: Int, index: Int) -> Range<Int> {
    (count * index / parts)..<(count * (index + 1) / parts)
}

private final class WorkerContext {
    let shared: PoolShared
    let index: Int
    init(shared: PoolShared, index: Int) {
        self.shared = shared
        self.index = index
    }
}

private func workerMain(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
    context.shared.workerLoop(index: context.index)
    return nil
}

/// State shared by the pool and its workers. The job fields are written by the caller before it
/// bumps `generation` (release) and read by workers after they observe the bump (acquire).
final class PoolShared: @unchecked Sendable {
    let parts: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private var count = 0
    private var body: ((Range<Int>) -> Void)?
    private var dead: [Bool]
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Spins before a worker sleeps; ~100 µs, longer than the gap between mat-vecs within a token.
    private let spinLimit = 100_000

    init(parts: Int) {
        self.parts = parts
        dead = Array(repeating: false, count: parts)
        dead[0] = false  // part 0 is the caller
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(wake)
        mutex.deallocate()
        wake.deallocate()
    }

    func markDead(_ index: Int) { dead[index] = true }

    func tryAcquire() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() { busy.store(false, ordering: .releasing) }

    func run(count: Int, body: @escaping (Range<Int>) -> Void) {
        self.count = count
        self.body = body
        pending.store(dead.lazy.filter { !$0 }.count - 1, ordering: .relaxed)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
        }
        runPart(0)
        for index in 1..<parts where dead[index] { runPart(index) }
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins > 10_000 { sched_yield() }  // a worker was likely descheduled; let it run
        }
        self.body = nil
    }

    private func runPart(_ index: Int) {
        let range = chunk(count, parts: parts, index: index)
        if !range.isEmpty, let body { body(range) }
    }

    func workerLoop(index: Int) {
        // Generation 0 is the state at creation; no job can start before `init` has made every
        // worker, but a worker may first run after the first job was published, so never reload here.
        var seen = 0
        while true {
            let current = waitForJob(after: seen)
            if stopping.load(ordering: .acquiring) { return }
            seen = current
            runPart(index)
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Returns the new generation once it differs from `seen`: spin first, then sleep.
    private func waitForJob(after seen: Int) -> Int {
        for _ in 0..<spinLimit {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
        }
        pthread_mutex_lock(mutex)
        // Announce the sleep before the last check; `run` bumps the generation before reading
        // `sleepers`, so one of the two always sees the other and no wake-up is lost.
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var current = generation.load(ordering: .sequentiallyConsistent)
        while current == seen {
            pthread_cond_wait(wake, mutex)
            current = generation.load(ordering: .acquiring)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        return current
    }

    func shutdown() {
        stopping.store(true, ordering: .releasing)
        generation.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }
}
