/// Swift mirrors of the weight-streaming messages of proto/baton.proto (a worker without the model file
/// receives its stage's bytes from the coordinator). Field meanings are documented in the .proto.

/// A byte range of the model file: the GGUF header or one tensor's data.
public struct WeightRegion: Sendable, Hashable {
    /// Name of the region holding the GGUF header and tensor directory, `[0, data offset)`.
    public static let headerName = "gguf.header"

    public var name: String
    public var fileOffset: UInt64
    public var size: UInt64

    public init(name: String, fileOffset: UInt64, size: UInt64) {
        self.name = name; self.fileOffset = fileOffset; self.size = size
    }

    /// One past the last byte (saturating, so a hostile size cannot trap).
    public var end: UInt64 { fileOffset.addingReportingOverflow(size).overflow ? .max : fileOffset + size }
}

public struct WeightOffer: Sendable, Hashable {
    public var modelSHA256: String
    public var fileSize: UInt64
    public var layerBegin: UInt32
    /// Exclusive.
    public var layerEnd: UInt32
    public var isFirst: Bool
    public var isLast: Bool
    /// Sorted by offset, not overlapping.
    public var regions: [WeightRegion]
    public var maxChunkBytes: UInt32

    public init(modelSHA256: String, fileSize: UInt64, layerBegin: UInt32, layerEnd: UInt32, isFirst: Bool,
                isLast: Bool, regions: [WeightRegion], maxChunkBytes: UInt32) {
        self.modelSHA256 = modelSHA256; self.fileSize = fileSize; self.layerBegin = layerBegin
        self.layerEnd = layerEnd; self.isFirst = isFirst; self.isLast = isLast; self.regions = regions
        self.maxChunkBytes = maxChunkBytes
    }

    /// Bytes the offer will transfer.
    public var totalBytes: UInt64 { regions.reduce(0) { $0 &+ $1.size } }
}

public struct WeightChunk: Sendable, Hashable {
    public var fileOffset: UInt64
    public var data: [UInt8]
    /// Set on a region's last chunk only: the sha256 (32 bytes) of the whole region.
    public var regionSHA256: [UInt8]

    public init(fileOffset: UInt64, data: [UInt8], regionSHA256: [UInt8] = []) {
        self.fileOffset = fileOffset; self.data = data; self.regionSHA256 = regionSHA256
    }
}

public struct WeightCredit: Sendable, Hashable {
    /// Chunks the coordinator may have unanswered at once from now on.
    public var chunks: UInt32
    public var bytesReceived: UInt64

    public init(chunks: UInt32, bytesReceived: UInt64) {
        self.chunks = chunks; self.bytesReceived = bytesReceived
    }
}

public struct WeightDone: Sendable, Hashable {
    public var modelSHA256: String

    public init(modelSHA256: String) { self.modelSHA256 = modelSHA256 }
}

public struct WeightDoneReply: Sendable, Hashable {
    public var regionsVerified: UInt32
    public var bytesReceived: UInt64

    public init(regionsVerified: UInt32, bytesReceived: UInt64) {
        self.regionsVerified = regionsVerified; self.bytesReceived = bytesReceived
    }
}
