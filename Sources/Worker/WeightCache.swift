import Digest
import Foundation
import Wire

/// A worker's on-disk cache of streamed weights. One entry per (model content hash, stage):
/// `<root>/<model sha256>/<first>-<last>[-embd][-head]/` holding `model.gguf`, a sparse copy of the model file
/// (same size and offsets: the GGUF header and this stage's tensors, holes elsewhere, so the ordinary GGUF
/// reader loads it), and `manifest.json`, written last by an atomic rename. No manifest = a partial entry.
public struct WeightCache: Sendable {
    public let root: String

    /// `root` may be relative (to the working directory); it is kept absolute.
    public init(root: String) { self.root = URL(fileURLWithPath: root).standardizedFileURL.path }

    /// $XDG_CACHE_HOME/baton/weights, else ~/.cache/baton/weights.
    public static var defaultRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/baton/weights" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/baton/weights"
    }

    public func entry(modelSHA256: String, layers: Range<UInt32>, isFirst: Bool, isLast: Bool) -> WeightCacheEntry {
        let range = layers.isEmpty ? "none" : "\(layers.lowerBound)-\(layers.upperBound - 1)"
        let name = range + (isFirst ? "-embd" : "") + (isLast ? "-head" : "")
        return WeightCacheEntry(directory: "\(root)/\(modelSHA256)/\(name)", modelSHA256: modelSHA256, layers: layers,
                                isFirst: isFirst, isLast: isLast)
    }

    /// A model hash is the cache's directory name, so it must be exactly 64 lowercase hex digits.
    public static func isValidSHA256(_ hex: String) -> Bool {
        hex.utf8.count == 64 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
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
    var formatVersion = 1
    var modelSHA256: String
    var fileSize: UInt64
    var layerBegin: UInt32
    var layerEnd: UInt32
    var isFirst: Bool
    var isLast: Bool
    var regions: [Region]
}

public struct WeightCacheEntry: Sendable {
    public let directory: String
    public let modelSHA256: String
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
        guard manifest.modelSHA256 == modelSHA256, manifest.layerBegin == layers.lowerBound,
              manifest.layerEnd == layers.upperBound, manifest.isFirst == isFirst, manifest.isLast == isLast else {
            throw Invalid(description: "manifest.json describes another stage or model")
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

    /// Deletes the entry (a corrupt or partial one is never used, only fetched again).
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Seals a fully received entry: manifest.json is written to a temporary name, flushed and renamed, so
    /// an entry either has a complete manifest or none.
    func seal(_ manifest: WeightManifest) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = manifestPath + ".tmp"
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, manifestPath) == 0 else {
            throw WeightReceiveError.storage("cannot rename \(temporary): \(String(cString: strerror(errno)))", errno: errno)
        }
    }
}
