/// The header as read from disk, validated.
struct GGUFHeader {
    var version: UInt32
    var metadataKeys: [String]
    var metadata: [String: GGUFValue]
    var tensors: [GGUFTensorInfo]
    var alignment: Int
    var dataOffset: Int
}

/// Reads and validates the header and tensor directory.
struct GGUFParser {
    var cursor: ByteCursor
    static let maxArrayDepth = 8

    mutating func parse() throws -> GGUFHeader {
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == GGUFFile.magic else { throw GGUFError.badMagic(found: magic) }
        let version = try cursor.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let kvCount = try cursor.read(UInt64.self, "metadata count")
        // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at least 8+4+8+4+8.
        try checkCount("metadata count", kvCount, minimumBytesEach: 13)
        try checkCount("tensor count", tensorCount, minimumBytesEach: 32)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        for index in 0..<Int(kvCount) {
            let key = try cursor.readString("metadata key #\(index)")
            let rawType = try cursor.read(UInt32.self, "type of metadata key '\(key)'")
            let value = try readValue(rawType: rawType, key: key, depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else { throw GGUFError.duplicateKey(key) }
            keys.append(key)
        }
        let alignment = try Self.alignment(metadata)

        var tensors: [GGUFTensorInfo] = []
        var seen = Set<String>()
        for index in 0..<Int(tensorCount) {
            let info = try readTensorInfo(index: index, alignment: alignment)
            guard seen.insert(info.name).inserted else { throw GGUFError.duplicateTensor(info.name) }
            tensors.append(info)
        }

        let dataOffset = (cursor.offset + alignment - 1) / alignment * alignment
        try Self.checkLayout(tensors, dataOffset: dataOffset, fileSize: cursor.bytes.count)
        return GGUFHeader(version: version, metadataKeys: keys, metadata: metadata, tensors: tensors,
                          alignment: alignment, dataOffset: dataOffset)
    }

    private func checkCount(_ what: String, _ count: UInt64, minimumBytesEach: Int) throws {
        let limit = UInt64(cursor.remaining / minimumBytesEach)
        guard count <= limit else { throw GGUFError.absurdCount(what: what, count: count, limit: limit) }
    }

    private mutating func readValue(rawType: UInt32, key: String, depth: Int) throws -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw GGUFError.unknownValueType(key: key, raw: rawType) }
        // A function, not a string: the description is only built if a read fails (arrays hold ~100k values).
        func what() -> String { "value of '\(key)'" }
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, what()))
        case .int8: return .int8(try cursor.read(Int8.self, what()))
        case .uint16: return .uint16(try cursor.read(UInt16.self, what()))
        case .int16: return .int16(try cursor.read(Int16.self, what()))
        case .uint32: return .uint32(try cursor.read(UInt32.self, what()))
        case .int32: return .int32(try cursor.read(Int32.self, what()))
        case .uint64: return .uint64(try cursor.read(UInt64.self, what()))
        case .int64: return .int64(try cursor.read(Int64.self, what()))
        case .float32: return .float32(try cursor.readFloat(what()))
        case .float64: return .float64(try cursor.readDouble(what()))
        case .bool: return .bool(try cursor.read(UInt8.self, what()) != 0)
        case .string: return .string(try cursor.readString(what()))
        case .array:
            guard depth < Self.maxArrayDepth else { throw GGUFError.nestingTooDeep(key: key) }
            let rawElement = try cursor.read(UInt32.self, "element type of '\(key)'")
            guard let element = GGUFValueType(rawValue: rawElement) else {
                throw GGUFError.unknownValueType(key: key, raw: rawElement)
            }
            let count = try cursor.read(UInt64.self, "length of '\(key)'")
            try checkCount("length of array '\(key)'", count, minimumBytesEach: element.fixedSize ?? 8)
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            if element == .string {
                // The vocabulary and merges: ~100k strings, read without a call and type switch per element.
                for _ in 0..<Int(count) { items.append(.string(try cursor.readString(what()))) }
            } else {
                for _ in 0..<Int(count) { items.append(try readValue(rawType: rawElement, key: key, depth: depth + 1)) }
            }
            return .array(element, items)
        }
    }

    private mutating func readTensorInfo(index: Int, alignment: Int) throws -> GGUFTensorInfo {
        let name = try cursor.readString("name of tensor #\(index)")
        let nDims = try cursor.read(UInt32.self, "dimension count of tensor '\(name)'")
        guard nDims >= 1, nDims <= 4 else {
            if nDims == 0 { throw GGUFError.invalidDimensions(tensor: name, dims: []) }
            throw GGUFError.tooManyDimensions(tensor: name, nDims: nDims)
        }
        var rawDims: [UInt64] = []
        for d in 0..<Int(nDims) { rawDims.append(try cursor.read(UInt64.self, "dimension \(d) of tensor '\(name)'")) }
        let rawType = try cursor.read(UInt32.self, "type of tensor '\(name)'")
        let offset = try cursor.read(UInt64.self, "data offset of tensor '\(name)'")

        let dims = try Self.validDims(rawDims, tensor: name)
        guard let type = GGMLType(rawValue: rawType) else { throw GGUFError.unknownTensorType(tensor: name, raw: rawType) }
        guard dims[0] % type.blockSize == 0 else {
            throw GGUFError.rowNotBlockMultiple(tensor: name, type: type, rowLength: dims[0], blockSize: type.blockSize)
        }
        guard let byteCount = Self.byteCount(dims, type), byteCount < Self.maxTensorExtent else {
            throw GGUFError.invalidDimensions(tensor: name, dims: rawDims)
        }
        guard offset % UInt64(alignment) == 0 else {
            throw GGUFError.misalignedOffset(tensor: name, offset: offset, alignment: alignment)
        }
        guard offset < UInt64(Self.maxTensorExtent) else {
            throw GGUFError.tensorDataPastEnd(tensor: name, end: Int(clamping: offset), fileSize: cursor.bytes.count)
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: Int(offset), byteCount: byteCount)
    }

    /// Bound on a tensor's byte size and data offset. With both below 2^61, data offset + offset + size cannot
    /// overflow an Int in the layout checks (the data offset is at most the size of a mapped file).
    static let maxTensorExtent = 1 << 61

    /// Data size of a tensor whose row length is a whole number of blocks; nil on overflow.
    private static func byteCount(_ dims: [Int], _ type: GGMLType) -> Int? {
        guard let rowBytes = type.rowBytes(elements: dims[0]) else { return nil }
        let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: dims.dropFirst().reduce(1, *))
        return overflow ? nil : bytes
    }

    /// Each dimension positive, the element count within 2^62.
    private static func validDims(_ raw: [UInt64], tensor: String) throws -> [Int] {
        var product: UInt64 = 1
        for d in raw {
            let (next, overflow) = product.multipliedReportingOverflow(by: d)
            guard d > 0, !overflow, next < (1 << 62) else { throw GGUFError.invalidDimensions(tensor: tensor, dims: raw) }
            product = next
        }
        return raw.map { Int($0) }
    }

    private static func alignment(_ metadata: [String: GGUFValue]) throws -> Int {
        guard let value = metadata[GGUFKey.alignment] else { return GGUFFile.defaultAlignment }
        guard let a = value.int, a > 0, a <= 65536, a & (a - 1) == 0 else {
            throw GGUFError.invalidAlignment(key: GGUFKey.alignment, value: "\(value)")
        }
        return a
    }

    /// Every tensor's data inside the file, and no two tensors sharing bytes.
    private static func checkLayout(_ tensors: [GGUFTensorInfo], dataOffset: Int, fileSize: Int) throws {
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (index, tensor) in sorted.enumerated() {
            if index > 0, sorted[index - 1].offset + sorted[index - 1].byteCount > tensor.offset {
                throw GGUFError.overlappingTensors(sorted[index - 1].name, tensor.name)
            }
        }
        // Name the first tensor the end of the file cuts, and count the bytes missing up to the last tensor's end.
        if let cut = sorted.first(where: { dataOffset + $0.offset + $0.byteCount > fileSize }), let last = sorted.last {
            throw GGUFError.tensorDataPastEnd(tensor: cut.name, end: dataOffset + last.offset + last.byteCount,
                                              fileSize: fileSize)
        }
    }
}
