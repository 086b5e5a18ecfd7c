/// The bytes whose sha256 names a weight-cache entry (LoadStage.weights_manifest_sha256). The coordinator
/// computes them from its own file, the worker from the regions it received and verified, so an entry made from
/// any other bytes (a changed byte, a swapped region, another stage) has another name and is never loaded in
/// the real one's place. The caller hashes them (Wire has no hash of its own; both ends use Digest's SHA256).
///
/// Layout: "baton-weights-1\n", file size (u64), layer begin and end (u32), embedding and head flags (one byte
/// each), region count (u32), then per region in file order: name length (u32) and UTF-8 name, offset and
/// size (u64), its 32-byte sha256. Integers big-endian.
public struct WeightManifestDigest: Sendable {
    public struct Region: Sendable, Equatable {
        public var name: String
        public var fileOffset: UInt64
        public var size: UInt64
        public var sha256: [UInt8]

        public init(name: String, fileOffset: UInt64, size: UInt64, sha256: [UInt8]) {
            self.name = name; self.fileOffset = fileOffset; self.size = size; self.sha256 = sha256
        }
    }

    public var fileSize: UInt64
    public var layerBegin: UInt32
    public var layerEnd: UInt32
    public var isFirst: Bool
    public var isLast: Bool
    public var regions: [Region]

    public init(fileSize: UInt64, layerBegin: UInt32, layerEnd: UInt32, isFirst: Bool, isLast: Bool, regions: [Region]) {
        self.fileSize = fileSize; self.layerBegin = layerBegin; self.layerEnd = layerEnd
        self.isFirst = isFirst; self.isLast = isLast; self.regions = regions
    }

    /// The canonical bytes to hash.
    public var canonicalBytes: [UInt8] {
        var out = Array("baton-weights-1\n".utf8)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) } }
        put(fileSize)
        put(layerBegin)
        put(layerEnd)
        out.append(isFirst ? 1 : 0)
        out.append(isLast ? 1 : 0)
        put(UInt32(truncatingIfNeeded: regions.count))
        for region in regions {
            let name = Array(region.name.utf8)
            put(UInt32(truncatingIfNeeded: name.count))
            out.append(contentsOf: name)
            put(region.fileOffset)
            put(region.size)
            out.append(contentsOf: region.sha256)
        }
        return out
    }
}
