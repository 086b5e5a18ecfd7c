import Digest
import Foundation
import Wire

/// A worker's on-disk cache of streamed weights, content-addressed: an entry's directory is named by the sha256 of
/// its weight manifest (`WeightManifestDigest`: the stage and every region's offset, size and sha256), computed
/// here from the bytes received and verified, and requested by the coordinator from its own file. A transfer is
/// written under `partial-…` and renamed to `<root>/<manifest sha256>/` only once every region verified, so an
/// entry is whole or absent; it holds `model.gguf`, a sparse copy of the model file (same size and offsets: the
/// GGUF header and this stage's tensors, holes elsewhere, so the ordinary GGUF reader loads it), and
/// `manifest.json`. Files are 0600 and directories 0700: the weights are the operator's, not other users'.
public struct WeightCache: Sendable {
    public let root: String
    /// Disk the entries may take (`--cache-max-gb`), least recently used evicted first; 0 = no limit.
    public let limitBytes: UInt64

    /// `root` may be relative (to the working directory); it is kept absolute.
    public init(root: String, limitBytes: UInt64 = 0) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.limitBytes = limitBytes
    }

    /// The sealed entries (directories named by a manifest digest) with the disk they take and when each was
    /// last loaded or sealed (its manifest's modification time).
    func entries() -> [(directory: String, bytes: UInt64, used: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter(Self.isValidSHA256).compactMap { name in
            let directory = "\(root)/\(name)"
            var manifest = stat()
            guard stat(directory + "/manifest.json", &manifest) == 0 else { return nil }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let bytes = files.reduce(UInt64(0)) { total, file in
                var info = stat()
                return stat("\(directory)/\(file)", &info) == 0 ? total + UInt64(max(0, info.st_blocks)) * 512 : total
            }
            return (directory, bytes, manifest.st_mtim.tv_sec)
        }
    }

    /// Removes least recently used entries, never `keep`, until the cache fits `limitBytes`; returns what went.
    @discardableResult
    func evict(keeping keep: String) -> [String] {
        guard limitBytes > 0 else { return [] }
        let all = entries().sorted { $0.used < $1.used }
        var total = all.reduce(UInt64(0)) { $0 + $1.bytes }
        var removed: [String] = []
        for entry in all where total > limitBytes && entry.directory != keep {
            try? FileManager.default.removeItem(atPath: entry.directory)
            total -= entry.bytes
            removed.append(entry.directory)
        }
        return removed
    }

    /// $XDG_CACHE_HOME/baton/weights, else ~/.cache/baton/weights.
    public static var defaultRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/baton/weights" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/baton/weights"
    }

    /// The entry named by `manifestSHA256` (32 bytes), for the stage a LoadStage asks for.
    public func entry(manifestSHA256: [UInt8], layers: Range<UInt32>, isFirst: Bool, isLast: Bool) -> WeightCacheEntry {
        WeightCacheEntry(directory: "\(root)/\(manifestSHA256.hexString)", manifestSHA256: manifestSHA256, layers: layers,
                         isFirst: isFirst, isLast: isLast)
    }

    /// A fresh directory for a transfer in progress (never a name a LoadStage can ask for).
    func partialDirectory() -> String {
        "\(root)/partial-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    /// A model hash must be exactly 64 lowercase hex digits.
    public static func isValidSHA256(_ hex: String) -> Bool {
        hex.utf8.count == 64 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension Array where Element == UInt8 {
    /// Bytes from lowercase or uppercase hex digits; nil for an odd count or a non-hex character.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }
}

/// What `manifest.json` records: the stage and every region's sha256, checked again on each load.
struct WeightManifest: Codable, Equatable {
    struct Region: Codable, Equatable {
        var name: String
        var fileOffset: UInt64
        var size: UInt64
        var sha256: String
    }
    var formatVersion = 2
    var modelSHA256: String
    var fileSize: UInt64
    var layerBegin: UInt32
    var layerEnd: UInt32
    var isFirst: Bool
    var isLast: Bool
    var regions: [Region]

    /// The sha256 that names the entry holding exactly these regions.
    var digest: [UInt8] {
        SHA256.hash(WeightManifestDigest(fileSize: fileSize, layerBegin: layerBegin, layerEnd: layerEnd, isFirst: isFirst,
                                         isLast: isLast, regions: regions.map {
            .init(name: $0.name, fileOffset: $0.fileOffset, size: $0.size, sha256: Array(hex: $0.sha256) ?? [])
        }).canonicalBytes)
    }
}

public struct WeightCacheEntry: Sendable {
    public let directory: String
    public let manifestSHA256: [UInt8]
    public let layers: Range<UInt32>
    public let isFirst: Bool
    public let isLast: Bool

    public var modelPath: String { directory + "/model.gguf" }
    var manifestPath: String { directory + "/manifest.json" }

    /// Why the entry cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Re-reads every region and checks it against the manifest. Returns the bytes verified; throws `Invalid`
    /// saying what is wrong (absent, partial, another stage's, or a region whose bytes changed).
    public func verify(progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }) throws(Invalid) -> UInt64 {
        guard FileManager.default.fileExists(atPath: directory) else { throw Invalid(description: "no cache entry") }
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw Invalid(description: "no manifest.json: a partial transfer")
        }
        let manifest: WeightManifest
        do { manifest = try JSONDecoder().decode(WeightManifest.self, from: data) } catch {
            throw Invalid(description: "manifest.json is unreadable: \(error)")
        }
        guard manifest.layerBegin == layers.lowerBound, manifest.layerEnd == layers.upperBound,
              manifest.isFirst == isFirst, manifest.isLast == isLast else {
            throw Invalid(description: "manifest.json describes another stage")
        }
        guard manifest.digest == manifestSHA256 else {
            throw Invalid(description: "manifest.json does not hash to the entry's name: it was changed or made from other bytes")
        }
        let size: UInt64
        do { size = try FileDigest.size(path: modelPath) } catch { throw Invalid(description: "\(error)") }
        guard size == manifest.fileSize else {
            throw Invalid(description: "model.gguf holds \(size) bytes, the manifest says \(manifest.fileSize)")
        }
        let total = manifest.regions.reduce(UInt64(0)) { $0 &+ $1.size }
        var done: UInt64 = 0
        for region in manifest.regions {
            let (end, overflow) = region.fileOffset.addingReportingOverflow(region.size)
            guard !overflow, end <= size else { throw Invalid(description: "region \(region.name) lies past the file's end") }
            let sha: String
            do {
                sha = try FileDigest.sha256(path: modelPath, range: region.fileOffset..<end) { d, _ in
                    progress(done + d, total)
                }.hexString
            } catch { throw Invalid(description: "\(error)") }
            guard sha == region.sha256 else {
                throw Invalid(description: "\(region.name) (bytes \(region.fileOffset)..<\(end)) does not match its sha256")
            }
            done += region.size
        }
        return done
    }

    /// The regions the manifest lists (after `verify`), to check that they cover the tensors the stage reads.
    func coveredRanges() -> [Range<UInt64>] {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? JSONDecoder().decode(WeightManifest.self, from: data) else { return [] }
        return manifest.regions.map { $0.fileOffset..<($0.fileOffset &+ $0.size) }
    }

    /// Marks the entry as just used, for the cache's least-recently-used eviction.
    func touch() { _ = utimes(manifestPath, nil) }

    /// Deletes the entry (a corrupt or partial one is never used, only fetched again).
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Seals a fully received transfer in `partial`: writes manifest.json there, then renames the directory to
    /// this entry's name (replacing an older entry of the same content), so an entry is whole or absent.
    static func seal(_ manifest: WeightManifest, from partial: String, as entry: WeightCacheEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = partial + "/manifest.json"
        guard FileManager.default.createFile(atPath: path, contents: try encoder.encode(manifest), attributes: [.posixPermissions: 0o600]) else {
            throw WeightReceiveError.storage("cannot write \(path)", errno: errno)
        }
        entry.remove()
        guard rename(partial, entry.directory) == 0 else {
            throw WeightReceiveError.storage("cannot rename \(partial) to \(entry.directory): \(String(cString: strerror(errno)))", errno: errno)
        }
    }
}
