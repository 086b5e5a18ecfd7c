import XCTest
@testable import Sampling

final class RandomTests: XCTestCase {
    /// Published reference output of splitmix64 from seed 0 (also recomputed by hand in Python).
    func testSplitMix64ReferenceOutputs() {
        var g = SplitMix64(state: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(g.next(), 0x06C4_5D18_8009_454F)
    }

    /// xoshiro256** from state {1, 2, 3, 4}: first output is rotl(2·5, 7)·9 = 1280·9 = 11520; the second
    /// reads s1, which the first update set to 2 ^ (3 ^ 1) = 0, so it is 0. Later values from the reference C.
    func testXoshiroReferenceOutputs() {
        var g = Xoshiro256StarStar(state: (1, 2, 3, 4))
        XCTAssertEqual(g.next(), 11520)
        XCTAssertEqual(g.next(), 0)
        XCTAssertEqual(g.next(), 1_509_978_240)
        XCTAssertEqual(g.next(), 1_215_971_899_390_074_240)
    }

    func testUnitDoublesStayInHalfOpenIntervalAndSpreadOut() {
        var g = Xoshiro256StarStar(seed: 7)
        var sum = 0.0
        var low = 1.0, high = 0.0
        for _ in 0..<100_000 {
            let u = g.nextUnitDouble()
            XCTAssertTrue(u >= 0 && u < 1)
            sum += u
            low = min(low, u)
            high = max(high, u)
        }
        // Mean of U[0,1) over 1e5 draws: 0.5 ± 0.0009 (1 sd); the seed is fixed, so this cannot flake.
        XCTAssertEqual(sum / 100_000, 0.5, accuracy: 0.005)
        XCTAssertLessThan(low, 0.001)
        XCTAssertGreaterThan(high, 0.999)
    }

    func testSeedsGiveDistinctStreams() {
        var a = Xoshiro256StarStar(seed: 0), a2 = Xoshiro256StarStar(seed: 0), b = Xoshiro256StarStar(seed: 1)
        let sa = (0..<4).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<4).map { _ in a2.next() })
        XCTAssertNotEqual(sa, (0..<4).map { _ in b.next() })
    }
}
