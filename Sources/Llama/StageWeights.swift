import GGUF
import Kernels

/// One transformer block's weights. Matrices point into the memory-mapped file (ggml layout, rows × cols).
/// Invariant for `@unchecked Sendable`: set up once at load, read-only afterwards (views of mapped memory).
struct LayerWeights: @unchecked Sendable {
    var attentionNorm: FloatVector  // [n_embd]
    var wq: WeightMatrix           // [n_embd → q_dim]  (q_dim = n_head × head_dim)
    var wk: WeightMatrix           // [n_embd → kv_dim]
    var wv: WeightMatrix           // [n_embd → kv_dim]
    var wo: WeightMatrix           // [q_dim → n_embd]
    var ffnNorm: FloatVector       // [n_embd]
    var gate: WeightMatrix         // [n_embd → n_ff]
    var up: WeightMatrix           // [n_embd → n_ff]
    var down: WeightMatrix         // [n_ff → n_embd]
    var queryNorm: FloatVector?    // [head_dim] Qwen 3
    var keyNorm: FloatVector?      // [head_dim] Qwen 3
    var biases = ProjectionBiases()

    /// The optional vectors, for pricing.
    var extraVectors: [FloatVector] {
        [queryNorm, keyNorm, biases.q, biases.k, biases.v, biases.o, biases.gate, biases.up, biases.down].compactMap { $0 }
    }
}

/// Optional biases added after each projection (Qwen 2's Q/K/V; some Llama fine-tunes have the others).
struct ProjectionBiases {
    var q, k, v, o, gate, up, down: FloatVector?
}

/// Which part of the model a stage holds: a contiguous range of layers, plus the token embedding if it is the
/// first stage and the output norm and head if it is the last. The whole model is one stage with both.
public struct StageSpec: Sendable, Equatable, CustomStringConvertible {
    public var layers: Range<Int>
    public var hasEmbedding: Bool
    public var hasHead: Bool

    public init(layers: Range<Int>, hasEmbedding: Bool, hasHead: Bool) {
        self.layers = layers; self.hasEmbedding = hasEmbedding; self.hasHead = hasHead
    }

    public static func whole(_ config: LlamaConfig) -> StageSpec {
        StageSpec(layers: 0..<config.blockCount, hasEmbedding: true, hasHead: true)
    }

    public var description: String {
        "layers \(layers.lowerBound)..<\(layers.upperBound)\(hasEmbedding ? " +embedding" : "")\(hasHead ? " +head" : "")"
    }

    /// Every tensor this stage reads, so a worker can fetch or map exactly these.
    public func tensorNames(_ model: ModelTensors) -> [String] {
        var names: [String] = []
        if hasEmbedding || (hasHead && model.tiedOutput) { names.append(TensorName.tokenEmbedding) }
        names += model.shared
        for layer in layers { names += model.layer(layer) }
        if hasHead { names += model.head }
        return names
    }

    /// Every tensor this stage reads from `file`.
    public func tensorNames(in file: GGUFFile, config: LlamaConfig) -> [String] {
        tensorNames(ModelTensors(config: config, file: file))
    }
}

/// The weights of one stage, read from a GGUF file. Only this stage's tensors are touched.
/// Invariant for `@unchecked Sendable`: every field is set at load and only read afterwards; the mapped file
/// it points into lives as long as it does.
public final class StageWeights: @unchecked Sendable {
    public let config: LlamaConfig
    public let spec: StageSpec
    let blocks: [LayerWeights]
    let embedding: WeightMatrix?     // [vocab rows × n_embd]
    let outputNorm: FloatVector?         // [n_embd]
    let output: WeightMatrix?        // [n_embd → vocab]; token_embd when the model ties them
    let outputBias: FloatVector?     // [vocab] (Qwen 2, where present)
    let ropeFrequencies: FloatVector?  // [n_rot / 2] Llama 3's rope_freqs
    /// Keeps the mapping alive for the matrices' pointers.
    private let file: GGUFFile

    /// Total bytes of the tensors this stage holds.
    public let byteCount: Int

    public init(file: GGUFFile, config: LlamaConfig, spec: StageSpec,
                progress: @escaping (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws {
        guard !spec.layers.isEmpty || spec.hasEmbedding || spec.hasHead,
              spec.layers.lowerBound >= 0, spec.layers.upperBound <= config.blockCount else {
            throw LlamaError.invalidLayerRange(requested: spec.layers, blockCount: config.blockCount)
        }
        let model = ModelTensors(config: config, file: file)
        let tied = model.tiedOutput
        let total = try Self.byteCount(file: file, config: config, spec: spec)
        let loader = TensorLoader(file: file, config: config, model: model) { progress($0, total) }
        let vocab = config.vocabularySize, embd = config.embeddingLength

        embedding = spec.hasEmbedding ? try loader.matrix(TensorName.tokenEmbedding, rows: vocab, cols: embd) : nil
        ropeFrequencies = try model.shared.first.map { try loader.ropeFrequencies($0, count: config.ropeDimensions / 2) }
        blocks = try spec.layers.map(loader.layer)
        if spec.hasHead {
            outputNorm = try loader.vector(TensorName.outputNorm, count: embd)
            let name = tied ? TensorName.tokenEmbedding : TensorName.output
            output = try (tied ? embedding : nil) ?? loader.matrix(name, rows: vocab, cols: embd)
            outputBias = try model.head.contains(TensorName.outputBias)
                ? loader.vector(TensorName.outputBias, count: vocab) : nil
        } else {
            outputNorm = nil; output = nil; outputBias = nil
        }
        self.file = file
        self.config = config
        self.spec = spec
        byteCount = total
    }
}

extension StageWeights {
    /// Bytes the tensors `spec` reads from `file` (its layers, plus embedding and/or norm and head) occupy once
    /// loaded: matrices as `WeightMatrix.residentBytes` prices their format, norms as the f32 copies they become.
    public static func byteCount(file: GGUFFile, config: LlamaConfig, spec: StageSpec) throws -> Int {
        var total = 0
        for name in spec.tensorNames(in: file, config: config) {
            let (sum, overflow) = total.addingReportingOverflow(residentBytes(try file.tensor(name)))
            guard !overflow else { throw GGUFError.invalidDimensions(tensor: name, dims: try file.tensor(name).dims.map { UInt64($0) }) }
            total = sum
        }
        return total
    }

    private static func residentBytes(_ info: GGUFTensorInfo) -> Int {
        let dims = GGUFFile.trimmed(info.dims)
        guard let format = WeightFormat(ggmlType: info.type.rawValue), let cols = dims.first else { return info.byteCount }
        if dims.count == 1 { return cols * MemoryLayout<Float>.size }
        let rows = dims.dropFirst().reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? .max : $0 * $1 }
        return WeightMatrix.residentBytes(format: format, rows: rows, cols: cols)
    }

    /// Bytes this stage's weights occupy: its matrices' storage and its norm vectors.
    public var residentBytes: Int {
        var matrices = blocks.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] }
        if let embedding { matrices.append(embedding) }
        if let output, output.data != embedding?.data { matrices.append(output) }
        let vectors = blocks.flatMap { [$0.attentionNorm, $0.ffnNorm] } + (outputNorm.map { [$0] } ?? [])
            + blocks.flatMap(\.extraVectors) + [outputBias, ropeFrequencies].compactMap { $0 }
        return matrices.reduce(0) { $0 + $1.residentBytes } + vectors.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }
    }
}

/// Turns GGUF tensors into kernel matrices and float vectors, checking type and shape.
/// Each tensor's pages are touched once while loading, so load time is paid (and shown) up front rather than
/// by the first token, and the resident set is exactly the stage's tensors.
final class TensorLoader {
    let file: GGUFFile
    let config: LlamaConfig
    let model: ModelTensors
    private let progress: (Int) -> Void
    private var loadedBytes = 0
    /// The kernels whose layout preference decides which matrices are repacked.
    private let kernels = DotKernels.selected

    init(file: GGUFFile, config: LlamaConfig, model: ModelTensors, progress: @escaping (Int) -> Void) {
        self.file = file
        self.config = config
        self.model = model
        self.progress = progress
    }

    func layer(_ i: Int) throws -> LayerWeights {
        let embd = config.embeddingLength, kv = config.kvDimension, ff = config.feedForwardLength
        let qd = config.queryDimension, hd = config.headDimension
        let qkNorms = config.architecture.normsQueryAndKey
        var layer = LayerWeights(
            attentionNorm: try vector(TensorName.attentionNorm(i), count: embd),
            wq: try matrix(TensorName.attentionQ(i), rows: qd, cols: embd),
            wk: try matrix(TensorName.attentionK(i), rows: kv, cols: embd),
            wv: try matrix(TensorName.attentionV(i), rows: kv, cols: embd),
            wo: try matrix(TensorName.attentionOutput(i), rows: embd, cols: qd),
            ffnNorm: try vector(TensorName.ffnNorm(i), count: embd),
            gate: try matrix(TensorName.ffnGate(i), rows: ff, cols: embd),
            up: try matrix(TensorName.ffnUp(i), rows: ff, cols: embd),
            down: try matrix(TensorName.ffnDown(i), rows: embd, cols: ff),
            queryNorm: qkNorms ? try vector(TensorName.attentionQNorm(i), count: hd) : nil,
            keyNorm: qkNorms ? try vector(TensorName.attentionKNorm(i), count: hd) : nil)
        let present = Set(model.layer(i))   // the biases this architecture allows and the file has
        func bias(_ weight: String, _ count: Int) throws -> FloatVector? {
            let name = TensorName.bias(weight)
            return present.contains(name) ? try vector(name, count: count) : nil
        }
        layer.biases = ProjectionBiases(
            q: try bias(TensorName.attentionQ(i), qd), k: try bias(TensorName.attentionK(i), kv),
            v: try bias(TensorName.attentionV(i), kv), o: try bias(TensorName.attentionOutput(i), embd),
            gate: try bias(TensorName.ffnGate(i), ff), up: try bias(TensorName.ffnUp(i), ff),
            down: try bias(TensorName.ffnDown(i), embd))
        return layer
    }

    func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
        try wrap(file.requireShape(name, [cols, rows]), rows: rows, cols: cols)
    }

    /// rope_freqs.weight: each factor divides an angle, so each must be finite and positive.
    func ropeFrequencies(_ name: String, count: Int) throws -> FloatVector {
        let factors = try vector(name, count: count)
        for i in 0..<count where !(factors.pointer[i].isFinite && factors.pointer[i] > 0) {
            throw LlamaError.invalidConfig("\(name)[\(i)] is \(factors.pointer[i]); rope frequency factors must be positive")
        }
        return factors
    }

    func vector(_ name: String, count: Int) throws -> FloatVector {
        let vector = FloatVector(count: count)
        try wrap(file.requireShape(name, [count]), rows: 1, cols: count).dequantizeRow(0, into: vector.pointer)
        return vector
    }

    private func wrap(_ info: GGUFTensorInfo, rows: Int, cols: Int) throws -> WeightMatrix {
        let format = try Self.format(of: info)
        let bytes = file.data(of: info)
        guard let base = bytes.baseAddress else { throw GGUFError.missingTensor(info.name) }
        let matrix = try WeightMatrix(format: format, rows: rows, cols: cols, data: base)
        loadedBytes += info.byteCount
        defer { progress(loadedBytes) }
        // Where the CPU has the interleaved kernels, a matrix is repacked into memory of its own and the file's
        // pages are given back, so the resident set stays one copy of the stage's weights.
        if rows > 1, kernels.prefersInterleaved(format),
           let packed = matrix.interleaved(done: { file.releasePages(of: info, bytes: $0) }) {
            return packed
        }
        var sum: UInt8 = 0
        for offset in stride(from: 0, to: bytes.count, by: 4096) { sum &+= bytes[offset] }
        withExtendedLifetime(sum) {}
        return matrix
    }

    /// The kernels' format for the tensor's type; a type not in the registry is refused, naming the tensor.
    static func format(of info: GGUFTensorInfo) throws -> WeightFormat {
        guard let format = WeightFormat(ggmlType: info.type.rawValue) else {
            throw GGUFError.unsupportedTensorType(tensor: info.name, type: info.type,
                                                  supported: WeightFormat.allCases.map(\.description))
        }
        return format
    }
}

/// A small owned float vector (norm weights), dequantized from the file once.
/// Invariant for `@unchecked Sendable`: written once when dequantized at load, read-only afterwards.
final class FloatVector: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { pointer.deallocate() }
}
