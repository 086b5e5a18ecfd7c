import Synchronization
import XCTest
@testable import Kernels

final class ThreadPoolTests: XCTestCase {
    func testEveryIndexRunsExactlyOnce() {
        for threads in [1, 2, 3, 5] {
            let pool = ThreadPool(threads: threads)
            XCTAssertEqual(pool.threads, threads)
            for count in [0, 1, 2, 3, 7, 64, 1000] {
                for _ in 0..<20 {
                    let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(1, count))
                    hits.initialize(repeating: 0, count: max(1, count))
                    pool.parallelFor(count) { i in hits[i] += 1 }
                    for i in 0..<count { XCTAssertEqual(hits[i], 1, "threads \(threads) count \(count) index \(i)") }
                    hits.deallocate()
                }
            }
        }
    }

    func testRangesAreContiguousAndCoverAll() {
        let pool = ThreadPool(threads: 3)
        let seen = Mutex<[Range<Int>]>([])
        pool.parallelRanges(10) { range in seen.withLock { $0.append(range) } }
        let ranges = seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(ranges.count, 3)
        XCTAssertEqual(ranges.first?.lowerBound, 0)
        XCTAssertEqual(ranges.last?.upperBound, 10)
        for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
    }

    func testNestedCallsRunInline() {
        let pool = ThreadPool(threads: 2)
        let total = Atomic<Int>(0)
        pool.parallelFor(4) { _ in
            pool.parallelFor(5) { _ in total.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 20)
    }

    /// Workers that fell asleep (after the spin phase) wake for the next job.
    func testWakesAfterIdle() {
        let pool = ThreadPool(threads: 3)
        let total = Atomic<Int>(0)
        for round in 0..<3 {
            if round > 0 { usleep(300_000) }
            pool.parallelFor(30) { _ in total.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 90)
    }

    func testPhysicalCores() {
        XCTAssertGreaterThanOrEqual(ThreadPool.physicalCores, 1)
        let cpuinfo = """
        processor\t: 0
        physical id\t: 0
        core id\t\t: 0

        processor\t: 1
        physical id\t: 0
        core id\t\t: 0

        processor\t: 2
        physical id\t: 0
        core id\t\t: 1

        processor\t: 3
        physical id\t: 1
        core id\t\t: 0
        """
        XCTAssertEqual(CPUTopology.coresFromCPUInfo(cpuinfo), 3)
        XCTAssertNil(CPUTopology.coresFromCPUInfo("processor : 0\nmodel name : x\n"))
    }
}
