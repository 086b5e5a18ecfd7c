#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element type of the KV cache. f16 halves its memory and mirrors llama.cpp's default (and its rounding).
public enum KVType: String, Sendable, CaseIterable {
    case f16, f32

    public var byteSize: Int { self == .f16 ? 2 : 4 }
}

/// One session's keys and values for the layers of one stage: [layer][position][kv_dim] each.
/// The memory is an anonymous mapping, so positions never written never become resident.
/// Invariant for `@unchecked Sendable`: a cache belongs to one session, whose stage runs one forward pass at a
/// time (StageEngine holds its sessions' lock through it); the pool's threads touch it only inside that pass.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let capacity: Int
    public let kvDimension: Int
    public let type: KVType
    /// Positions filled so far; the next batch starts here.
    public internal(set) var length = 0

    let keys: UnsafeMutableRawPointer
    let values: UnsafeMutableRawPointer
    private let bytesPerSide: Int

    /// Bytes of one session's cache; `Int.max` when the sizes (which may come from a peer) overflow, so a budget
    /// check refuses them instead of trapping.
    public static func byteCount(layers: Int, capacity: Int, kvDimension: Int, type: KVType) -> Int {
        saturatingProduct([2, layers, capacity, kvDimension, type.byteSize])
    }

    public var byteCount: Int { 2 * bytesPerSide }

    /// Returns nil when the memory cannot be mapped.
    public init?(layers: Int, capacity: Int, kvDimension: Int, type: KVType) {
        layerCount = layers
        self.capacity = capacity
        self.kvDimension = kvDimension
        self.type = type
        bytesPerSide = max(layers * capacity * kvDimension * type.byteSize, 1)
        guard let keys = Self.map(bytesPerSide) else { return nil }
        guard let values = Self.map(bytesPerSide) else { munmap(keys, bytesPerSide); return nil }
        self.keys = keys
        self.values = values
    }

    deinit {
        munmap(keys, bytesPerSide)
        munmap(values, bytesPerSide)
    }

    /// Forgets positions from `newLength` on (they are overwritten by the next batch).
    public func truncate(to newLength: Int) {
        length = min(max(newLength, 0), length)
    }

    /// Replaces this cache's contents with the first `positions` positions of `source` (a session with the same
    /// prompt prefix); returns how many were copied: at most source's length and this capacity, 0 when the two
    /// caches do not have the same shape.
    public func copyPrefix(of source: KVCache, positions: Int) -> Int {
        guard source.layerCount == layerCount, source.kvDimension == kvDimension, source.type == type else { return 0 }
        let n = min(max(positions, 0), source.length, capacity)
        let rowBytes = kvDimension * type.byteSize
        for layer in 0..<layerCount {
            let from = source.rowOffset(layer: layer, position: 0), to = rowOffset(layer: layer, position: 0)
            (keys + to).copyMemory(from: source.keys + from, byteCount: n * rowBytes)
            (values + to).copyMemory(from: source.values + from, byteCount: n * rowBytes)
        }
        length = n
        return n
    }

    /// Byte offset of one position's row within a layer (layer index local to the stage).
    @inline(__always) func rowOffset(layer: Int, position: Int) -> Int {
        ((layer * capacity) + position) * kvDimension * type.byteSize
    }

    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        return p
    }
}

/// The product of non-negative sizes, or `Int.max` when it does not fit.
public func saturatingProduct(_ factors: [Int]) -> Int {
    var product = 1
    for f in factors {
        let (p, overflow) = product.multipliedReportingOverflow(by: max(f, 0))
        if overflow { return .max }
        product = p
    }
    return product
}

/// The sum of non-negative sizes, or `Int.max` when it does not fit.
public func saturatingSum(_ terms: [Int]) -> Int {
    var sum = 0
    for t in terms {
        let (s, overflow) = sum.addingReportingOverflow(max(t, 0))
        if overflow { return .max }
        sum = s
    }
    return sum
}
