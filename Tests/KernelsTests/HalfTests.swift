import XCTest
@testable import Kernels

final class HalfTests: XCTestCase {
    func testHalfToFloatMatchesFloat16ForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = Half.toFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "bits \(bits)")
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "bits \(bits)")
            }
            XCTAssertEqual(HalfTable.table[Int(bits)].bitPattern, got.bitPattern)
        }
    }

    func testFloatToHalfRoundsLikeFloat16() {
        var rng = TestRNG(seed: 7)
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 65536, 1e9, -1e9, .infinity, -.infinity,
                                6.1035156e-05, 6.0975552e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 1e-10,
                                1.00048828125, 1.00146484375, 0.33333334, Float.leastNonzeroMagnitude]
        for _ in 0..<200_000 { samples.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        for _ in 0..<100_000 { samples.append(rng.float(-70000...70000)) }
        for x in samples {
            let expected = Float16(x)
            let got = Half.fromFloat(x)
            if expected.isNaN {
                XCTAssertTrue(Half.toFloat(got).isNaN, "\(x)")
            } else {
                XCTAssertEqual(got, expected.bitPattern, "\(x)")
            }
        }
    }
}
