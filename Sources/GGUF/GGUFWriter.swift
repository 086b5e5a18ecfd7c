#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes GGUF files: synthetic models (streamed tensor by tensor, never the whole model in memory) and, in
/// tests, deliberately broken files. Every header field is settable so a test can write any corruption.
public struct GGUFWriter {
    /// A tensor directory entry exactly as it goes to disk.
    public struct TensorEntry: Sendable {
        public var name: String
        public var dims: [UInt64]
        public var typeID: UInt32
        public var offset: UInt64

        public init(name: String, dims: [UInt64], typeID: UInt32, offset: UInt64) {
            self.name = name; self.dims = dims; self.typeID = typeID; self.offset = offset
        }

        /// Data size implied by dims and type (0 for invalid entries, which tests write on purpose: huge or
        /// zero dimensions must not trap here).
        public var byteCount: Int {
            guard let type = GGMLType(rawValue: typeID), let first = dims.first, let firstInt = Int(exactly: first),
                  var total = type.rowBytes(elements: firstInt) else { return 0 }
            for d in dims.dropFirst() {
                guard let dInt = Int(exactly: d) else { return 0 }
                let (next, overflow) = total.multipliedReportingOverflow(by: dInt)
                if overflow { return 0 }
                total = next
            }
            return total
        }
    }

    public var magic = GGUFFile.magic
    public var version: UInt32 = 3
    /// Padding of the data section and of `addTensor` offsets. A non-default value is also written as
    /// `general.alignment` (uint32) unless `metadata` already holds that key, so readers agree with the layout.
    public var alignment = GGUFFile.defaultAlignment
    public var metadata: [(key: String, value: GGUFValue)] = []
    public var tensors: [TensorEntry] = []
    /// Zero-pads the data after the last tensor to `alignment` as well, as llama-quantize's files end.
    public var padsEnd = false

    public init() {}

    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.key == key }) { metadata[index].value = value }
        else { metadata.append((key, value)) }
    }

    /// Appends a tensor placed right after the previous one (aligned). `dims` innermost first, as ggml's `ne`.
    public mutating func addTensor(_ name: String, dims: [Int], type: GGMLType) {
        let end = tensors.last.map { Int(clamping: $0.offset) &+ $0.byteCount } ?? 0
        let step = max(alignment, 1)
        let offset = (end + step - 1) / step * step
        tensors.append(TensorEntry(name: name, dims: dims.map { UInt64($0) }, typeID: type.rawValue, offset: UInt64(offset)))
    }

    /// Header, metadata, tensor directory and the padding up to the data section.
    public func headerBytes() -> [UInt8] {
        var out = ByteSink()
        out.append(magic); out.append(version)
        let metadata = metadataToWrite
        out.append(UInt64(tensors.count)); out.append(UInt64(metadata.count))
        for (key, value) in metadata {
            out.append(string: key); out.append(value.type.rawValue); out.append(value: value)
        }
        for t in tensors {
            out.append(string: t.name); out.append(UInt32(t.dims.count))
            for d in t.dims { out.append(d) }
            out.append(t.typeID); out.append(t.offset)
        }
        out.pad(to: alignment)
        return out.bytes
    }

    /// `metadata`, plus `general.alignment` when the layout uses a non-default alignment the metadata omits.
    private var metadataToWrite: [(key: String, value: GGUFValue)] {
        guard alignment != GGUFFile.defaultAlignment, !metadata.contains(where: { $0.key == GGUFKey.alignment }),
              let value = UInt32(exactly: alignment) else { return metadata }
        return metadata + [(GGUFKey.alignment, .uint32(value))]
    }

    /// The whole file in memory; `data[i]` is tensor i's bytes (missing entries are zero-filled).
    public func bytes(tensorData data: [[UInt8]] = []) -> [UInt8] {
        var out = headerBytes()
        let start = out.count
        for (i, t) in tensors.enumerated() {
            let at = start + Int(t.offset)
            if out.count < at { out += [UInt8](repeating: 0, count: at - out.count) }
            let bytes = i < data.count ? data[i] : [UInt8](repeating: 0, count: t.byteCount)
            out += bytes
        }
        return out
    }

    /// Streams the file to `path`: the header, then each tensor's bytes as `produce(index)` returns them, so at
    /// most one tensor is in memory. `progress(written, total)` is called after each tensor.
    public func write(to path: String, produce: (Int) throws -> [UInt8],
                      progress: (Int, Int) -> Void = { _, _ in }) throws {
        try write(to: path, pieces: { index, emit in
            try produce(index).withUnsafeBytes { try emit($0) }
        }, progress: progress)
    }

    /// Streams the file to `path`: the header, then each tensor's bytes in pieces. `produce(index, emit)` calls
    /// `emit` with consecutive pieces of tensor `index` (together its bytes), so only the producer's current piece
    /// is in memory, however large the tensor. `progress(written, total)` (bytes of the data section) is called
    /// after each piece.
    public func write(to path: String, pieces produce: (Int, (UnsafeRawBufferPointer) throws -> Void) throws -> Void,
                      progress: (Int, Int) -> Void = { _, _ in }) throws {
        guard let file = fopen(path, "wb") else {
            throw GGUFError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            guard bytes.count > 0 else { return }
            let written = fwrite(bytes.baseAddress, 1, bytes.count, file)
            guard written == bytes.count else {
                throw GGUFError.cannotOpen(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
        }
        try headerBytes().withUnsafeBytes(put)
        var position = 0
        let total = tensors.map { Int($0.offset) + $0.byteCount }.max() ?? 0
        for (i, t) in tensors.enumerated() {
            if position < Int(t.offset) {
                try [UInt8](repeating: 0, count: Int(t.offset) - position).withUnsafeBytes(put)
            }
            position = Int(t.offset)
            // The emitter captures `progress`; it never outlives this call.
            try withoutActuallyEscaping(progress) { progress in
                try produce(i) { piece in
                    try put(piece)
                    position += piece.count
                    progress(position, total)
                }
            }
        }
        if padsEnd, alignment > 1, position % alignment != 0 {
            try [UInt8](repeating: 0, count: alignment - position % alignment).withUnsafeBytes(put)
        }
        guard fflush(file) == 0 else {
            throw GGUFError.cannotOpen(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Little-endian byte sink for the writer.
struct ByteSink {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func append(string: String) {
        let utf8 = Array(string.utf8)
        append(UInt64(utf8.count)); bytes += utf8
    }

    mutating func pad(to alignment: Int) {
        guard alignment > 1 else { return }
        let padded = (bytes.count + alignment - 1) / alignment * alignment
        bytes += [UInt8](repeating: 0, count: padded - bytes.count)
    }

    mutating func append(value: GGUFValue) {
        switch value {
        case .uint8(let v): append(v)
        case .int8(let v): append(v)
        case .uint16(let v): append(v)
        case .int16(let v): append(v)
        case .uint32(let v): append(v)
        case .int32(let v): append(v)
        case .uint64(let v): append(v)
        case .int64(let v): append(v)
        case .float32(let v): append(v.bitPattern)
        case .float64(let v): append(v.bitPattern)
        case .bool(let v): append(UInt8(v ? 1 : 0))
        case .string(let v): append(string: v)
        case .array(let type, let items):
            append(type.rawValue); append(UInt64(items.count))
            for item in items { append(value: item) }
        }
    }
}
