import Kernels
/// A KV-cache element, written from Float.
protocol KVElement {
    init(rounding x: Float)
}

extension Float: KVElement {
    @inline(__always) init(rounding x: Float) { self = x }
}

extension Float16: KVElement {
    @inline(__always) init(rounding x: Float) { self = Float16(x) }
}

/// Grouped-query attention of one token's query heads over the cached positions of one layer.
enum Attention {
    /// Writes this batch's keys and values (already roped) into the cache at positions start ..< start+n.
    static func store(_ cache: KVCache, layer: Int, start: Int, count n: Int,
                      keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        switch cache.type {
        case .f16: store(Float16.self, cache, layer: layer, start: start, count: n, keys: k, values: v)
        case .f32: store(Float.self, cache, layer: layer, start: start, count: n, keys: k, values: v)
        }
    }

    private static func store<E: KVElement>(_: E.Type, _ cache: KVCache, layer: Int, start: Int, count n: Int,
                                            keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        let dim = cache.kvDimension
        let offset = cache.rowOffset(layer: layer, position: start)
        let kd = (cache.keys + offset).assumingMemoryBound(to: E.self)
        let vd = (cache.values + offset).assumingMemoryBound(to: E.self)
        for i in 0..<(n * dim) {
            kd[i] = E(rounding: k[i])
            vd[i] = E(rounding: v[i])
        }
    }

    /// out[h] = Σₚ softmax(q[h]·K[p] / √d)ₚ · V[p] over positions 0 ..< visible, for query heads
    /// `heads`, each reading KV head h / (n_head / n_head_kv). `scores` holds at least `visible` floats.
    /// An f16 cache is read the way llama.cpp's CPU flash attention reads it (its rounding included, which
    /// keeps logits closest to llama.cpp's); an f32 cache gets exact f32 softmax attention.
    static func attend(_ cache: KVCache, layer: Int, visible: Int, query q: UnsafePointer<Float>,
                       head: Int, groupSize: Int, headDimension hd: Int,
                       scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let stride = cache.kvDimension
        let column = (head / groupSize) * hd
        let base = cache.rowOffset(layer: layer, position: 0)
        let scale = 1 / Float(hd).squareRoot()
        switch cache.type {
        case .f16:
            let keys = UnsafePointer((cache.keys + base).assumingMemoryBound(to: UInt16.self)) + column
            let values = UnsafePointer((cache.values + base).assumingMemoryBound(to: UInt16.self)) + column
            attendHalfCache(keys: keys, values: values, stride: stride, visible: visible, query: q, dimension: hd,
                            scale: scale, scores: scores, out: out)
        case .f32:
            let keys = UnsafePointer((cache.keys + base).assumingMemoryBound(to: Float.self)) + column
            let values = UnsafePointer((cache.values + base).assumingMemoryBound(to: Float.self)) + column
            for p in 0..<visible { scores[p] = dot(q, keys + p &* stride, count: hd) * scale }
            VectorMath.softmax(scores, count: visible)
            for d in 0..<hd { out[d] = 0 }
            for p in 0..<visible {
                let v = values + p &* stride, w = scores[p]
                for d in 0..<hd { out[d] += w * v[d] }
            }
        }
    }

    /// Σ a·b in f32 with 16 partial sums, like ggml's SIMD dots.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ar = UnsafeRawPointer(a), br = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var d = 0
        while d &+ 16 <= count {
            acc += ar.loadUnaligned(fromByteOffset: d &* 4, as: SIMD16<Float>.self)
                * br.loadUnaligned(fromByteOffset: d &* 4, as: SIMD16<Float>.self)
            d &+= 16
        }
        // Pairwise halves: .sum() adds the 16 lanes one by one (a 16-long dependent chain).
        let h8 = acc.lowHalf + acc.highHalf, h4 = h8.lowHalf + h8.highHalf, h2 = h4.lowHalf + h4.highHalf
        var sum = h2[0] + h2[1]
        while d < count {
            sum += a[d] * b[d]
            d &+= 1
        }
        return sum
    }
}
