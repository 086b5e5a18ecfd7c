import CKernels

/// One query head's attention over `visible` positions of an f16 KV cache with llama.cpp's CPU flash-attention
/// rounding (query rounded to f16, online softmax, f16 accumulator for the weighted values): see
/// baton_attend_f16. `keys`/`values` are the head's column at position 0, rows `stride` halves apart.
@inline(__always)
public func attendHalfCache(keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>, stride: Int, visible: Int,
                            query: UnsafePointer<Float>, dimension: Int, scale: Float,
                            scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                            kernels: DotKernels = .selected) {
    baton_attend_f16(kernels.isa, keys, values, stride, Int32(visible), query, Int32(dimension), scale, scores, out)
}
