// Weight storage formats and the matrix view the kernels read. Block layouts follow ggml-common.h:
//   Q4_0: { f16 d; u8 qs[16] }          w = d·(q − 8)
//   Q4_1: { f16 d; f16 m; u8 qs[16] }   w = d·q + m
//   Q8_0: { f16 d; i8 qs[32] }          w = d·q
// Byte j of `qs` holds weight j in its low nibble and weight j + 16 in its high nibble.

/// Element formats the kernels compute with. Deliberately independent of the GGUF module.
public enum WeightFormat: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case f32, f16, q4_0, q4_1, q8_0

    /// Weights per block (1 for the float formats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16: 1
        case .q4_0, .q4_1, .q8_0: 32
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16: 2
        case .q4_0: 18
        case .q4_1: 20
        case .q8_0: 34
        }
    }

    /// Whether matmul consumes int8-quantized activations (ggml's `vec_dot_type` Q8_0 / Q8_1).
    var isQuantized: Bool { blockSize == 32 }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        }
    }
}

public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// A row length that is not a whole number of blocks, or a non-positive shape.
    case invalidShape(format: WeightFormat, rows: Int, cols: Int)

    public var description: String {
        switch self {
        case let .invalidShape(format, rows, cols):
            "invalid \(format) matrix shape \(rows)×\(cols): need rows ≥ 0 and cols a positive multiple of \(format.blockSize)"
        }
    }
}

/// A read-only view of a weight matrix in ggml row-major layout: `rows` rows of `cols` weights.
/// The memory (typically a mapped GGUF file) must outlive every use of the view.
public struct WeightMatrix: @unchecked Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let data: UnsafeRawPointer

    public init(format: WeightFormat, rows: Int, cols: Int, data: UnsafeRawPointer) throws {
        guard rows >= 0, cols > 0, cols % format.blockSize == 0 else {
            throw KernelError.invalidShape(format: format, rows: rows, cols: cols)
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// Bytes per row.
    public var rowBytes: Int { cols / format.blockSize * format.blockBytes }

    /// Total bytes the matrix occupies.
    public var byteCount: Int { rows * rowBytes }

    /// Writes row `row` as `cols` floats (embedding lookup). Out-of-range rows write zeros: the index
    /// usually comes from a token id, and a bad id must not read outside the mapping.
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        guard row >= 0, row < rows else {
            out.update(repeating: 0, count: cols)
            return
        }
        dequantize(format, data + row * rowBytes, count: cols, into: out)
    }
}

/// Dequantizes `count` weights (a whole number of blocks) starting at `src`.
func dequantize(_ format: WeightFormat, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    switch format {
    case .f32:
        for i in 0..<count { out[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
    case .f16:
        for i in 0..<count { out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
    case .q4_0, .q4_1:
        let hasMin = format == .q4_1
        let headerBytes = hasMin ? 4 : 2
        for b in 0..<count / 32 {
            let block = src + b * format.blockBytes
            let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
            let m = hasMin ? halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) : 0
            let offset: Float = hasMin ? 0 : -8
            let o = out + b * 32
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: headerBytes + j, as: UInt8.self)
                o[j] = d * (Float(byte & 15) + offset) + m
                o[j + 16] = d * (Float(byte >> 4) + offset) + m
            }
        }
    case .q8_0:
        for b in 0..<count / 32 {
            let block = src + b * 34
            let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
            for j in 0..<32 { out[b * 32 + j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) }
        }
    }
}
