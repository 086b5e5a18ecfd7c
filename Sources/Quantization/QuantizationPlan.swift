import GGUF
import Kernels

/// What `baton quantize` will write for one input file and type, decided before any byte is written (so every
/// refusal comes first): llama-quantize's tensor order, each tensor's new type, and the output header.
public struct QuantizationPlan {
    /// One output tensor: where its data comes from and what it becomes.
    public struct Entry: Sendable {
        public let source: GGUFTensorInfo
        /// The new format, nil when the bytes are copied unchanged (same type, or a tensor never quantized).
        public let conversion: Conversion?
        public let outputType: GGMLType
    }

    /// Dequantize rows of `from` to f32, quantize them to `to`.
    public struct Conversion: Sendable {
        public let from: WeightFormat
        public let to: WeightFormat
        public let rows: Int
        public let cols: Int
        public let inputRowBytes: Int
        public let outputRowBytes: Int
    }

    public let fileType: LlamaFileType
    public let entries: [Entry]
    let writer: GGUFWriter

    /// Architectures whose files llama_tensor_get_type treats as it treats llama's (no arch-specific rule applies
    /// to Qwen 2/3 dense models; their biases and Q/K norms are 1-D and copied as they are).
    public static let architectures = ["llama", "qwen2", "qwen3"]

    /// llama-quantize's KV layout: every input key in order, then general.quantization_version and
    /// general.file_type each removed and appended (gguf_set_val_u32), split keys removed.
    public init(file: GGUFFile, fileType: LlamaFileType) throws {
        self.fileType = fileType
        let arch = try file.string(GGUFKey.architecture)
        guard Self.architectures.contains(arch) else { throw QuantizationError.unsupportedArchitecture(arch) }
        let facts = try Self.facts(file, arch: arch)
        let ordered = file.tensors.sorted { llamaOrder($0.name, $1.name) }
        let shapes = ordered.map { TensorShape(name: $0.name, dims: $0.dims) }
        let formats = try TensorTypeRules.choose(shapes, fileType: fileType, facts: facts)
        entries = try zip(ordered, formats).map(Self.entry)

        var writer = GGUFWriter()
        writer.padsEnd = true
        for key in file.metadataKeys {
            guard let value = file.metadata[key], !Self.droppedKeys.contains(key) else { continue }
            // The data is laid out at llama-quantize's fixed 32 bytes; another general.alignment would lie.
            if key == GGUFKey.alignment, value.int != GGUFFile.defaultAlignment { continue }
            writer.metadata.append((key, value))
        }
        for (key, value) in [(GGUFKey.quantizationVersion, UInt32(2)), (GGUFKey.fileType, fileType.rawValue)] {
            writer.metadata.removeAll { $0.key == key }
            writer.metadata.append((key, .uint32(value)))
        }
        for entry in entries {
            let dims = Array(entry.source.dims.prefix(significantDimensions(entry.source.dims)))
            writer.addTensor(entry.source.name, dims: dims, type: entry.outputType)
        }
        self.writer = writer
    }

    /// Bytes of the output file (its data padded to the alignment at the end too).
    public var fileSize: Int {
        let data = writer.tensors.last.map { Int($0.offset) + $0.byteCount } ?? 0, step = writer.alignment
        return writer.headerBytes().count + (data + step - 1) / step * step
    }

    private static let droppedKeys: Set<String> = ["split.no", "split.count", "split.tensors.count"]

    private static func entry(_ source: GGUFTensorInfo, _ format: WeightFormat?) throws -> Entry {
        guard let format, format.traits.ggmlType != source.type.rawValue,
              let outputType = GGMLType(rawValue: format.traits.ggmlType) else {
            return Entry(source: source, conversion: nil, outputType: source.type)
        }
        guard let from = WeightFormat(ggmlType: source.type.rawValue) else {
            throw QuantizationError.unsupportedTensorType(tensor: source.name, type: source.type)
        }
        let cols = source.rowLength
        guard cols > 0, cols % format.blockSize == 0, format.traits.canQuantize else {
            throw QuantizationError.rowNotWholeBlocks(tensor: source.name, cols: cols, format: format)
        }
        let rows = source.elementCount / cols
        let outputRowBytes = quantizedByteCount(count: cols, format: format)
        guard !rows.multipliedReportingOverflow(by: outputRowBytes).overflow else {
            throw QuantizationError.tensorTooLarge(source.name)
        }
        let conversion = Conversion(from: from, to: format, rows: rows, cols: cols, inputRowBytes: source.rowBytes,
                                    outputRowBytes: outputRowBytes)
        return Entry(source: source, conversion: conversion, outputType: outputType)
    }

    /// The hyper-parameters the rules read; head counts may be per-layer arrays (the first layer's counts,
    /// as llama.cpp's n_gqa() reads).
    static func facts(_ file: GGUFFile, arch: String) throws -> ModelFacts {
        func count(_ key: String) throws -> Int? {
            guard let value = file.metadata[key] else { return nil }
            guard let int = value.int ?? value.array?.first?.int, int >= 0 else {
                throw QuantizationError.invalidMetadata(key: key, reason: "expected a non-negative integer")
            }
            return int
        }
        let blocks = try file.positiveInt(GGUFKey.blockCount(arch))
        let heads = try count(GGUFKey.headCount(arch)) ?? 0
        return ModelFacts(blockCount: blocks, headCount: heads, headCountKV: try count(GGUFKey.headCountKV(arch)) ?? heads,
                          expertCount: try count("\(arch).expert_count") ?? 0)
    }
}
