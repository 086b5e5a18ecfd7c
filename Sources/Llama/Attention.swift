/// A KV-cache element: how to read it as Float and write it from Float.
protocol KVElement {
    static func load(_ p: UnsafePointer<Self>, _ i: Int) -> Float
    init(rounding x: Float)
}

extension Float: KVElement {
    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Float { p[i] }
    @inline(__always) init(rounding x: Float) { self = x }
}

extension Float16: KVElement {
    /// Half → float with integer ops only, so the loop vectorizes on any x86-64 (no F16C needed).
    @inline(__always) static func load(_ p: UnsafePointer<Float16>, _ i: Int) -> Float {
        let bits = UInt32(p[i].bitPattern)
        let magnitude = bits & 0x7FFF
        var f = Float(bitPattern: magnitude << 13) * Float(bitPattern: 0x7780_0000)  // × 2¹¹² re-biases the exponent
        if magnitude >= 0x7C00 { f = Float(bitPattern: (magnitude << 13) | 0x7F80_0000) }  // inf / NaN
        return Float(bitPattern: f.bitPattern | ((bits & 0x8000) << 16))
    }
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
    static func attend(_ cache: KVCache, layer: Int, visible: Int, query q: UnsafePointer<Float>,
                       head: Int, groupSize: Int, headDimension: Int,
                       scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        switch cache.type {
        case .f16: attend(Float16.self, cache, layer, visible, q, head, groupSize, headDimension, scores, out)
        case .f32: attend(Float.self, cache, layer, visible, q, head, groupSize, headDimension, scores, out)
        }
    }

    private static func attend<E: KVElement>(_: E.Type, _ cache: KVCache, _ layer: Int, _ visible: Int,
                                             _ q: UnsafePointer<Float>, _ head: Int, _ groupSize: Int, _ hd: Int,
                                             _ scores: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let stride = cache.kvDimension
        let column = (head / groupSize) * hd
        let base = cache.rowOffset(layer: layer, position: 0)
        let keys = UnsafePointer((cache.keys + base).assumingMemoryBound(to: E.self)) + column
        let values = UnsafePointer((cache.values + base).assumingMemoryBound(to: E.self)) + column
        let scale = 1 / Float(hd).squareRoot()
        // Each key row is widened to f32 first (a plain map loop, which vectorizes), then dotted with
        // 16-lane partial sums: a single running float sum cannot be vectorized (adds do not reassociate).
        withUnsafeTemporaryAllocation(of: Float.self, capacity: hd) { row in
            let row = row.baseAddress.unsafelyUnwrapped
            for p in 0..<visible {
                let k = keys + p &* stride
                for d in 0..<hd { row[d] = E.load(k, d) }
                scores[p] = dot(q, row, count: hd) * scale
            }
        }
        VectorMath.softmax(scores, count: visible)
        for d in 0..<hd { out[d] = 0 }
        for p in 0..<visible {
            let v = values + p &* stride
            let w = scores[p]
            for d in 0..<hd { out[d] += w * E.load(v, d) }
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
