/// A parsed GGUF file: metadata, tensor directory and (memory-mapped) tensor data.
/// Parsing validates the whole header and the tensor directory against the file size; nothing is trusted.
/// Invariant for `@unchecked Sendable`: immutable after parsing; the mapping is read-only.
public final class GGUFFile: @unchecked Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" little-endian
    public static let defaultAlignment = 32

    public let version: UInt32
    /// Metadata in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    public let tensorsByName: [String: GGUFTensorInfo]
    public let alignment: Int
    /// Absolute file offset where the tensor-data section starts.
    public let dataOffset: Int
    public let fileSize: Int
    /// nil when only the header was parsed (a coordinator never needs the weights).
    private let storage: MappedFile?

    /// Maps and parses the file at `path`.
    public convenience init(path: String) throws {
        let mapped = try MappedFile(path: path)
        try self.init(bytes: mapped.bytes, storage: mapped)
    }

    /// Parses a GGUF image held in memory (tests, and files received over the wire).
    /// The caller keeps `bytes` alive for as long as tensor data is read.
    public convenience init(bytes: UnsafeRawBufferPointer) throws {
        try self.init(bytes: bytes, storage: nil)
    }

    private init(bytes: UnsafeRawBufferPointer, storage: MappedFile?) throws {
        var parser = GGUFParser(cursor: ByteCursor(bytes))
        let header = try parser.parse()
        version = header.version
        metadataKeys = header.metadataKeys
        metadata = header.metadata
        tensors = header.tensors
        tensorsByName = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.name, $0) })
        alignment = header.alignment
        dataOffset = header.dataOffset
        fileSize = bytes.count
        self.storage = storage
        self.base = bytes
    }

    private let base: UnsafeRawBufferPointer

    public var path: String? { storage?.path }

    /// The raw bytes of a tensor (validated at parse time to lie within the file).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.offset
        return UnsafeRawBufferPointer(rebasing: base[start..<(start + tensor.byteCount)])
    }

    /// Absolute byte range of a tensor in the file.
    public func fileRange(of tensor: GGUFTensorInfo) -> Range<Int> {
        (dataOffset + tensor.offset)..<(dataOffset + tensor.offset + tensor.byteCount)
    }

    /// Drops the pages of `bytes` (offsets within the tensor, default all of it) from this process's resident
    /// set, after they have been copied or repacked. They stay readable (re-read from the file on touch).
    public func releasePages(of tensor: GGUFTensorInfo, bytes: Range<Int>? = nil) {
        let whole = fileRange(of: tensor)
        let part = bytes.map { (whole.lowerBound + max(0, $0.lowerBound))..<(whole.lowerBound + min(tensor.byteCount, $0.upperBound)) }
        storage?.release(part ?? whole)
    }

    public func tensor(_ name: String) throws -> GGUFTensorInfo {
        guard let info = tensorsByName[name] else { throw GGUFError.missingTensor(name) }
        return info
    }
}

// MARK: - Validated tensor access for loaders

extension GGUFFile {
    /// A tensor of exactly `shape` (ggml order, row length first). Trailing 1s are ignored, as in llama.cpp,
    /// so a norm stored as [576] matches [576, 1].
    @discardableResult
    public func requireShape(_ name: String, _ shape: [Int]) throws -> GGUFTensorInfo {
        let info = try tensor(name)
        guard Self.trimmed(info.dims) == Self.trimmed(shape) else {
            throw GGUFError.wrongShape(tensor: name, expected: shape, found: info.dims)
        }
        return info
    }

    /// A tensor whose type is one of `types` (e.g. norms must be F32).
    @discardableResult
    public func requireType(_ name: String, _ types: [GGMLType]) throws -> GGUFTensorInfo {
        let info = try tensor(name)
        guard types.contains(info.type) else {
            let expected = types.map(\.description).joined(separator: " or ")
            throw GGUFError.wrongTensorType(tensor: name, expected: expected, found: info.type)
        }
        return info
    }

    public static func trimmed(_ dims: [Int]) -> ArraySlice<Int> {
        var slice = dims[...]
        while slice.count > 1, slice.last == 1 { slice.removeLast() }
        return slice
    }
}

// MARK: - Typed metadata access

extension GGUFFile {
    public func value(_ key: String) throws -> GGUFValue {
        guard let value = metadata[key] else { throw GGUFError.missingKey(key) }
        return value
    }

    public func int(_ key: String) throws -> Int {
        let value = try value(key)
        guard let int = value.int else { throw GGUFError.wrongKeyType(key: key, expected: "an integer", found: value.type) }
        return int
    }

    public func positiveInt(_ key: String) throws -> Int {
        let int = try int(key)
        guard int > 0 else { throw GGUFError.invalidValue(key: key, value: "\(int)", expected: "a positive integer") }
        return int
    }

    public func double(_ key: String) throws -> Double {
        let value = try value(key)
        guard let double = value.double else { throw GGUFError.wrongKeyType(key: key, expected: "a number", found: value.type) }
        return double
    }

    public func string(_ key: String) throws -> String {
        let value = try value(key)
        guard let string = value.string else { throw GGUFError.wrongKeyType(key: key, expected: "a string", found: value.type) }
        return string
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try value(key)
        guard let bool = value.bool else { throw GGUFError.wrongKeyType(key: key, expected: "a bool", found: value.type) }
        return bool
    }

    public func stringArray(_ key: String) throws -> [String] {
        let value = try value(key)
        guard case .array(.string, let items) = value else {
            throw GGUFError.wrongKeyType(key: key, expected: "an array of strings", found: value.type)
        }
        return items.map { $0.string ?? "" }
    }

    public func intArray(_ key: String) throws -> [Int] {
        let value = try value(key)
        guard let items = value.array, let ints = Optional(items.compactMap(\.int)), ints.count == items.count else {
            throw GGUFError.wrongKeyType(key: key, expected: "an array of integers", found: value.type)
        }
        return ints
    }

    /// The value when present, nil when absent; a present value of the wrong type is still an error.
    public func optional<T>(_ key: String, _ get: (String) throws -> T) throws -> T? {
        metadata[key] == nil ? nil : try get(key)
    }
}
