import Digest
import Foundation
import Logging
import Synchronization
import Engine
import Wire

/// The SHA-256 content id of a model file, computed only when a worker needs it (it keys the worker's weight
/// cache), by pread in 4 MiB buffers so the coordinator's resident set stays small, and remembered per
/// process for as long as the file's size and modification time do not change.
public enum ModelDigest {
    private struct Key: Hashable {
        let path: String
        let size: UInt64
        let modified: Double
    }

    private static let known = Mutex<[Key: String]>([:])
    private static let manifests = Mutex<[String: [UInt8]]>([:])

    /// Lowercase hex sha256 of the file at `path`; logs progress for big files.
    public static func sha256(path: String, logger: Logger) throws -> String {
        let key = try key(path)
        if let hex = known.withLock({ $0[key] }) { return hex }
        let hex = try hash(path, range: nil, size: key.size, what: "hashing \(path)", logger: logger).hexString
        known.withLock { $0[key] = hex }
        return hex
    }

    /// The sha256 of the weight manifest of `offer`'s regions (`WeightManifestDigest`): the name of the worker's
    /// cache entry this coordinator will load, computed from its own file's bytes, region by region.
    static func manifestSHA256(path: String, offer: WeightOffer, logger: Logger) throws -> [UInt8] {
        let key = try key(path)
        let name = "\(key)|\(offer.layerBegin)..<\(offer.layerEnd)|\(offer.isFirst)|\(offer.isLast)"
        if let known = manifests.withLock({ $0[name] }) { return known }
        var regions: [WeightManifestDigest.Region] = []
        for region in offer.regions {
            let sha = try hash(path, range: region.fileOffset..<region.end, size: region.size,
                               what: "hashing \(region.name)", logger: region.size > 1 << 30 ? logger : nil)
            regions.append(.init(name: region.name, fileOffset: region.fileOffset, size: region.size, sha256: sha))
        }
        let digest = SHA256.hash(WeightManifestDigest(fileSize: offer.fileSize, layerBegin: offer.layerBegin,
                                                      layerEnd: offer.layerEnd, isFirst: offer.isFirst, isLast: offer.isLast,
                                                      regions: regions).canonicalBytes)
        manifests.withLock { $0[name] = digest }
        return digest
    }

    /// The file's identity for the memo: path, size and modification time.
    private static func key(_ path: String) throws -> Key {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw FileDigest.Failure(path: path, reason: "the model file is missing or unreadable on the coordinator "
                                     + "(\(error.localizedDescription)); pass a readable --model")
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return Key(path: path, size: size, modified: modified)
    }

    /// sha256 of `range` (nil: the whole file), with progress in the log when `logger` is given.
    private static func hash(_ path: String, range: Range<UInt64>?, size: UInt64, what: String, logger: Logger?) throws -> [UInt8] {
        let meter = logger.map { TransferMeter(what: what, total: size, logger: $0) }
        var seen: UInt64 = 0
        let sha = try FileDigest.sha256(path: path, range: range) { done, _ in
            meter?.add(Int(done - seen))
            seen = done
        }
        meter?.finish()
        return sha
    }
}
