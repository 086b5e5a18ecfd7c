import XCTest
@testable import Kernels

/// The f16-cache attention kernel at every level against plain f32 softmax attention over the same halves.
final class FlashAttentionTests: XCTestCase {
    func testEveryLevelMatchesExactAttention() {
        var rng = TestRNG(seed: 77)
        for dim in [64, 128] {
            for visible in [1, 2, 17, 70] {
                let stride = dim * 3  // rows of a KV cache with three heads; the kernel reads one column
                let keys = (0..<(visible * stride)).map { _ in Half.fromFloat(rng.float(-2...2)) }
                let values = (0..<(visible * stride)).map { _ in Half.fromFloat(rng.float(-1...1)) }
                let query = (0..<dim).map { _ in rng.float(-1...1) }
                let column = dim  // the middle head
                let scale = 1 / Float(dim).squareRoot()
                // Exact: f32 softmax over f16-rounded query · key, then the weighted sum of values.
                var scores = (0..<visible).map { p -> Double in
                    (0..<dim).reduce(0.0) { $0 + Double(Half.toFloat(keys[p * stride + column + $1])) * Double(Half.toFloat(Half.fromFloat(query[$1]))) } * Double(scale)
                }
                let top = scores.max() ?? 0
                scores = scores.map { exp($0 - top) }
                let total = scores.reduce(0, +)
                let exact = (0..<dim).map { d in
                    (0..<visible).reduce(0.0) { $0 + scores[$1] / total * Double(Half.toFloat(values[$1 * stride + column + d])) }
                }
                for kernels in DotKernels.available {
                    var out = [Float](repeating: .nan, count: dim)
                    var scratch = [Float](repeating: 0, count: visible)
                    keys.withUnsafeBufferPointer { k in
                        values.withUnsafeBufferPointer { v in
                            attendHalfCache(keys: k.baseAddress! + column, values: v.baseAddress! + column, stride: stride,
                                            visible: visible, query: query, dimension: dim, scale: scale,
                                            scores: &scratch, out: &out, kernels: kernels)
                        }
                    }
                    for d in 0..<dim {
                        // The f16 accumulator rounds at every position: a few half ulps of |values| ≤ 1.
                        XCTAssertEqual(Double(out[d]), exact[d], accuracy: 4e-3, "\(kernels.name) dim \(dim) visible \(visible) d \(d)")
                    }
                }
            }
        }
    }
}
