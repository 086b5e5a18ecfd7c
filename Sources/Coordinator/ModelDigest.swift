import Digest
import Foundation
import Logging
import Synchronization
import Engine

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

    /// Lowercase hex sha256 of the file at `path`; logs progress for big files.
    public static func sha256(path: String, logger: Logger) throws -> String {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw FileDigest.Failure(path: path, reason: "the model file is missing or unreadable on the coordinator "
                                     + "(\(error.localizedDescription)); pass a readable --model")
        }
        let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = Key(path: path, size: size, modified: modified)
        if let hex = known.withLock({ $0[key] }) { return hex }
        let meter = TransferMeter(what: "hashing \(path)", total: size, logger: logger)
        var seen: UInt64 = 0
        let hex = try FileDigest.sha256(path: path) { done, _ in
            meter.add(Int(done - seen))
            seen = done
        }.hexString
        meter.finish()
        known.withLock { $0[key] = hex }
        return hex
    }
}
