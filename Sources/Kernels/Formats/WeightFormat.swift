// The registry of weight formats: every format Baton computes with, each described once by its `FormatTraits`
// (block layout, the activations it multiplies with, dequantize, quantize, its dot kernel). The loader, the
// footprint planner, `baton synth` and the tests all derive from `WeightFormat.traits`; a type that is not
// here is refused at load. Layouts follow ggml-common.h; each format's file in Formats/ spells its own out.
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Element formats the kernels compute with, in ggml's on-disk layouts.
public enum WeightFormat: Sendable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    case f32, f16, bf16
    case q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl
    case q2_K, q3_K, q4_K, q5_K, q6_K, iq4_xs

    /// Everything the kernels know about the format.
    public var traits: FormatTraits {
        switch self {
        case .f32: FloatFormats.f32
        case .f16: FloatFormats.f16
        case .bf16: FloatFormats.bf16
        case .q4_0: BlockFormats.q4_0
        case .q4_1: BlockFormats.q4_1
        case .q5_0: BlockFormats.q5_0
        case .q5_1: BlockFormats.q5_1
        case .q8_0: BlockFormats.q8_0
        case .iq4_nl: BlockFormats.iq4_nl
        case .q2_K: SuperBlockFormats.q2_K
        case .q3_K: SuperBlockFormats.q3_K
        case .q4_K: SuperBlockFormats.q4_K
        case .q5_K: SuperBlockFormats.q5_K
        case .q6_K: SuperBlockFormats.q6_K
        case .iq4_xs: SuperBlockFormats.iq4_xs
        }
    }

    /// The format stored under ggml type id `id` (GGUF's tensor type), or nil when Baton cannot compute with it.
    public init?(ggmlType id: UInt32) {
        guard let format = Self.byGGMLType[id] else { return nil }
        self = format
    }

    private static let byGGMLType: [UInt32: WeightFormat] =
        Dictionary(uniqueKeysWithValues: allCases.map { ($0.traits.ggmlType, $0) })

    /// Weights per block (1 for the float formats).
    public var blockSize: Int { traits.blockSize }
    /// Bytes per block.
    public var blockBytes: Int { traits.blockBytes }
    public var description: String { traits.name }
}

/// What a format's weights are multiplied with: the input row converted the way ggml converts a mat-mul's
/// input for the weight type's `vec_dot_type`.
public enum ActivationFormat: Sendable, Equatable {
    /// f32 as is (F32 weights).
    case f32
    /// Rounded to half (F16 weights).
    case f16
    /// Rounded to bfloat16 (BF16 weights).
    case bf16
    /// int8 in blocks of 32 with an f16 scale and Q8_1's f16 d·Σq (quantize_row_q8_0 / q8_1).
    case q8_0
    /// int8 in blocks of 256 with an f32 scale and Σq per 16 values (quantize_row_q8_K).
    case q8_K

    /// Values per activation block.
    var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q8_0: 32
        case .q8_K: 256
        }
    }
}

/// One format, described once (ggml's `type_traits` and `type_traits_cpu` together).
public struct FormatTraits: Sendable {
    /// ggml's spelling: Q4_K, IQ4_NL, BF16.
    public let name: String
    /// ggml's type id, as stored in GGUF tensor infos.
    public let ggmlType: UInt32
    public let blockSize: Int
    public let blockBytes: Int
    public let activation: ActivationFormat
    /// Writes the `blocks` blocks at `src` as floats.
    let dequantize: @Sendable (_ src: UnsafeRawPointer, _ blocks: Int, _ out: UnsafeMutablePointer<Float>) -> Void
    /// ggml's reference quantizer (quantize_row_*_ref) for whole blocks; nil where Baton has none.
    let quantize: (@Sendable (_ x: UnsafePointer<Float>, _ blocks: Int, _ out: UnsafeMutableRawPointer) -> Void)?
    /// Index of the format's integer dot kernel in the C table (nil for the float formats).
    let dot: Int32?
    /// Whether the batched lane kernels can decode its rows (32-value blocks of d·q + m with integer q).
    let laneDecodable: Bool
    /// Index of its row-interleaved layout in the C kernels (BATON_X16_*), nil where it has none.
    var interleaved: Int32? = nil

    /// Whether `baton synth` and the tests can write this format.
    public var canQuantize: Bool { quantize != nil }
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

/// How a matrix's bytes are arranged: ggml's rows, or rows interleaved 16 at a time (see baton_kernels.h),
/// which the decode kernels read several times faster.
public enum WeightLayout: Sendable, Equatable { case rows, interleaved16 }

/// A read-only view of a weight matrix: `rows` rows of `cols` weights in `format`.
/// Invariant for `@unchecked Sendable`: `data` is immutable memory that outlives every use of the view —
/// a mapped GGUF file kept open by its owner, or the `storage` this view holds for an interleaved copy.
public struct WeightMatrix: @unchecked Sendable {
    public let format: WeightFormat
    public let rows: Int
    public let cols: Int
    public let data: UnsafeRawPointer
    public let layout: WeightLayout
    private let storage: PackedStorage?

    public init(format: WeightFormat, rows: Int, cols: Int, data: UnsafeRawPointer) throws {
        // The C kernels count rows and blocks in 32-bit ints: larger shapes (only a corrupt file has them) are refused.
        guard rows >= 0, rows <= Int(Int32.max), cols > 0, cols % format.blockSize == 0,
              cols / format.blockSize <= Int(Int32.max) else {
            throw KernelError.invalidShape(format: format, rows: rows, cols: cols)
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.data = data
        layout = .rows
        storage = nil
    }

    private init(interleaving m: WeightMatrix, storage: PackedStorage) {
        (format, rows, cols, data, layout, self.storage) = (m.format, m.rows, m.cols, UnsafeRawPointer(storage.bytes), .interleaved16, storage)
    }

    /// Bytes per row (in ggml's row layout).
    public var rowBytes: Int { cols / format.blockSize * format.blockBytes }

    /// Bytes the rows occupy in ggml's layout (an interleaved copy pads the last 16-row group).
    public var byteCount: Int { rows * rowBytes }

    /// Bytes a `rows` × `cols` matrix of `format` occupies once loaded, whichever layout a worker's CPU picks:
    /// the rows as mapped, or an interleaved copy padded to whole 16-row groups. Planners price stages with it.
    public static func residentBytes(format: WeightFormat, rows: Int, cols: Int) -> Int {
        let (perRow, overflow) = (cols / max(1, format.blockSize)).multipliedReportingOverflow(by: format.blockBytes)
        guard !overflow, rows >= 0 else { return .max }
        let (mapped, tooMany) = perRow.multipliedReportingOverflow(by: rows)
        guard !tooMany else { return .max }
        guard format.traits.interleaved != nil, rows > 1 else { return mapped }
        let (padded, tooLarge) = perRow.multipliedReportingOverflow(by: (rows + 15) / 16 * 16)
        return tooLarge ? .max : max(mapped, padded)
    }

    /// Bytes this matrix's storage holds (the interleaved copy's, or the mapped rows').
    public var residentBytes: Int { layout == .rows ? byteCount : (rows + 15) / 16 * 16 * rowBytes }

    /// Whether a batch is multiplied by the lane kernels (rows of a lane-decodable format), which read the
    /// input's lane groups.
    public var usesLaneKernels: Bool { layout == .rows && format.traits.laneDecodable }

    /// Whether `format` has an interleaved layout.
    public var canInterleave: Bool { layout == .rows && format.traits.interleaved != nil }

    /// A copy with rows interleaved 16 at a time, in memory of its own; nil when the format has no such layout
    /// or the memory cannot be had. Rows are packed a few thousand at a time and `done(bytes)` is told which
    /// source bytes are no longer needed, so a caller can release them and the two copies never coexist whole.
    public func interleaved(done: (Range<Int>) -> Void = { _ in }) -> WeightMatrix? {
        guard canInterleave, let index = format.traits.interleaved else { return nil }
        let blocks = Int32(cols / format.blockSize)
        let size = baton_x16_size(index, Int32(rows), blocks)
        guard size > 0, let storage = PackedStorage(byteCount: size) else { return nil }
        let chunk = 4096  // rows per step, a multiple of 16
        for first in stride(from: 0, to: rows, by: chunk) {
            let count = min(chunk, rows - first)
            baton_x16_pack(index, data + first * rowBytes, rowBytes, Int32(count), blocks,
                           storage.bytes + first / 16 * groupBytes)
            done((first * rowBytes)..<((first + count) * rowBytes))
        }
        return WeightMatrix(interleaving: self, storage: storage)
    }

    /// Bytes of one 16-row group of an interleaved matrix.
    var groupBytes: Int { cols / format.blockSize * format.blockBytes * 16 }

    /// Writes row `row` as `cols` floats (embedding lookup). Out-of-range rows write zeros: the index
    /// usually comes from a token id, and a bad id must not read outside the mapping.
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        guard row >= 0, row < rows else {
            out.update(repeating: 0, count: cols)
            return
        }
        let blocks = cols / format.blockSize
        guard layout == .interleaved16, let index = format.traits.interleaved else {
            format.traits.dequantize(data + row * rowBytes, blocks, out)
            return
        }
        withUnsafeTemporaryAllocation(byteCount: rowBytes, alignment: 16) { buffer in
            guard let base = buffer.baseAddress else { return }
            baton_x16_unpack_row(index, data, Int32(rows), Int32(blocks), Int32(row), base)
            format.traits.dequantize(UnsafeRawPointer(base), blocks, out)
        }
    }
}

/// Memory owned by interleaved matrices. Invariant for `@unchecked Sendable`: written once by
/// `WeightMatrix.interleaved()` before any view of it exists, read-only afterwards.
///
/// Matrices of 2 MiB or more start 2 MiB-aligned, and their whole 2 MiB blocks are advised for transparent huge
/// pages (Linux, THP "madvise" mode is the common default): a decode step streams every weight once, and with
/// 4 KiB pages one thread stalls on a page walk every 4 KiB and its hardware prefetchers stop at each page
/// boundary. Streaming 1 GiB on one Zen 4 thread: 24.6 GB/s on 4 KiB pages, 30.5 GB/s on huge pages. The tail
/// past the last whole block stays on small pages, so a matrix occupies its own size and no more (the planner
/// and `--max-memory` count exactly that). Where the kernel declines the advice the memory is the ordinary kind.
final class PackedStorage: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer

    init?(byteCount: Int) {
        var pointer: UnsafeMutableRawPointer?
        let huge = 2 << 20
        guard posix_memalign(&pointer, byteCount >= huge ? huge : 64, byteCount) == 0, let pointer else { return nil }
        #if os(Linux)
        let advised = byteCount / huge * huge
        if advised > 0 { _ = madvise(pointer, advised, Int32(MADV_HUGEPAGE)) }  // before the first write faults pages in
        #endif
        bytes = pointer
    }

    deinit { free(bytes) }
}

/// Dequantizes `count` weights (a whole number of blocks) starting at `src`.
public func dequantize(_ format: WeightFormat, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    format.traits.dequantize(src, count / format.blockSize, out)
}

@inline(__always)
func bytes(_ p: UnsafeRawPointer) -> UnsafePointer<UInt8> { p.assumingMemoryBound(to: UInt8.self) }

@inline(__always)
func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float { halfToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
