#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GGUF
import Kernels

/// A Llama GGUF with a published shape, a real tokenizer and deterministic random weights, streamed to disk.
/// Weights are made a chunk of rows at a time (rows in parallel), so memory stays at one chunk however large
/// the model.
public struct SyntheticModel {
    public let spec: SyntheticSpec
    public let vocabularySize: Int
    public let name: String
    let plans: [TensorPlan]
    let header: GGUFWriter

    /// Bytes of output each parallel step makes: large enough that dispatch costs nothing, small enough to
    /// stay in cache-friendly, memory-cheap pieces.
    static let chunkBytes = 4 << 20

    /// Throws only what the mix rules can (a mixture-of-experts layer name; synthetic models have no experts).
    public init(spec: SyntheticSpec, tokenizer: TokenizerMetadata) throws {
        self.spec = spec
        vocabularySize = spec.vocabularySize(tokenizerSize: tokenizer.tokenCount)
        name = spec.generalName(tokenizerSize: tokenizer.tokenCount)
        plans = try TensorPlan.all(spec, vocabularySize: vocabularySize)
        header = Self.writer(spec: spec, name: name, vocabularySize: vocabularySize,
                             tokenizer: tokenizer.padded(to: vocabularySize), plans: plans)
    }

    /// Bytes of the whole file.
    public var fileSize: Int {
        header.headerBytes().count + (header.tensors.last.map { Int($0.offset) + $0.byteCount } ?? 0)
    }

    /// Tensor names in file order.
    public var tensorNames: [String] { plans.map(\.name) }

    /// Writes the file to `path` (through `path.partial`, renamed at the end, so an interrupted run never leaves
    /// a complete-looking model). `progress(written, total)` counts bytes of tensor data.
    public func write(to path: String, pool: ThreadPool, progress: (Int, Int) -> Void = { _, _ in }) throws {
        let partial = path + ".partial"
        do {
            let generator = RowGenerator(seed: spec.seed, pool: pool, chunkBytes: Self.chunkBytes,
                                         largestRow: plans.map(\.cols).max() ?? 0)
            try header.write(to: partial, pieces: { index, emit in
                try generator.produce(plans[index], emit: emit)
            }, progress: progress)
        } catch let error as GGUFError {
            unlink(partial)
            if case .cannotOpen(_, let reason) = error { throw SyntheticError.cannotWrite(path: path, reason: reason) }
            throw error
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw SyntheticError.cannotWrite(path: path, reason: reason)
        }
    }

    private static func writer(spec: SyntheticSpec, name: String, vocabularySize: Int,
                               tokenizer: [(key: String, value: GGUFValue)], plans: [TensorPlan]) -> GGUFWriter {
        let s = spec.shape, arch = s.architecture
        var w = GGUFWriter()
        w.set(GGUFKey.architecture, .string(arch))
        w.set(GGUFKey.name, .string(name))
        w.set(GGUFKey.blockCount(arch), .uint32(UInt32(spec.blockCount)))
        let context = spec.contextLength ?? s.contextLength
        w.set(GGUFKey.contextLength(arch), .uint32(UInt32(clamping: context)))
        w.set(GGUFKey.embeddingLength(arch), .uint32(UInt32(s.embeddingLength)))
        w.set(GGUFKey.feedForwardLength(arch), .uint32(UInt32(s.feedForwardLength)))
        w.set(GGUFKey.headCount(arch), .uint32(UInt32(s.headCount)))
        w.set(GGUFKey.headCountKV(arch), .uint32(UInt32(s.headCountKV)))
        w.set(GGUFKey.ropeFreqBase(arch), .float32(s.ropeFreqBase))
        w.set(GGUFKey.rmsEpsilon(arch), .float32(s.rmsEpsilon))
        w.set(GGUFKey.fileType, .uint32(spec.type.fileType.rawValue))
        w.set(GGUFKey.vocabSize(arch), .uint32(UInt32(vocabularySize)))
        w.set(GGUFKey.ropeDimensionCount(arch), .uint32(UInt32(s.headDimension)))
        if s.explicitHeadDimension != nil {
            w.set(GGUFKey.keyLength(arch), .uint32(UInt32(s.headDimension)))
            w.set(GGUFKey.valueLength(arch), .uint32(UInt32(s.headDimension)))
        }
        if let scaling = spec.ropeScaling {
            w.set(GGUFKey.ropeScalingType(arch), .string(scaling.type))
            w.set(GGUFKey.ropeScalingFactor(arch), .float32(scaling.factor))
            w.set(GGUFKey.ropeScalingOriginalContext(arch), .uint32(UInt32(clamping: context)))
        }
        for (key, value) in tokenizer { w.set(key, value) }
        w.set(GGUFKey.quantizationVersion, .uint32(2))
        for plan in plans { w.addTensor(plan.name, dims: plan.dims, type: plan.ggmlType) }
        return w
    }
}
