import CProtobufC

#if _endian(big)
#error("Baton's wire format stores hidden states as little-endian f32 and copies them with memcpy")
#endif

/// Owns the C memory a protobuf-c message graph points into while it is being packed, and frees it all
/// at once. The structs are plain C data, so deallocating without deinitializing is correct.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// A C message struct initialised by its generated `__init` function, then filled by `fill`.
    func message<T>(_ initialize: (UnsafeMutablePointer<T>) -> Void,
                    _ fill: (inout T) -> Void = { _ in }) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
        blocks.append(UnsafeMutableRawPointer(p))
        initialize(p)
        fill(&p.pointee)
        return p
    }

    /// A NUL-terminated copy. protobuf-c strings cannot hold NUL, so text stops at the first one.
    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = s.utf8CString
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        blocks.append(UnsafeMutableRawPointer(p))
        utf8.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { p.initialize(from: base, count: src.count) }
        }
        return p
    }

    /// A C array copy of `values` (nil when empty, as protobuf-c expects for n == 0).
    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let p = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        blocks.append(UnsafeMutableRawPointer(p))
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { p.initialize(from: base, count: src.count) }
        }
        return p
    }

    /// A C array of message pointers, each converted by `make`.
    func messages<S, T>(_ values: [S], _ make: (S) -> UnsafeMutablePointer<T>) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        array(values.map { Optional(make($0)) })
    }
}
