import Engine
import Foundation
import GGUF
import Llama
import Wire

/// Where a stage's weights come from: this machine's model file, a verified cache entry, or — neither being
/// there — the coordinator, which is asked to stream them (LoadStageReply.weights_required).
enum WeightSource {
    case file(String)
    case cache(WeightCacheEntry)
    case required
}

struct WeightSourceError: Error, CustomStringConvertible {
    let description: String
}

extension ComputeLoop {
    func weightSource(_ request: LoadStage) throws -> WeightSource {
        let options = server.options
        let local = options.localModel(requested: request.modelPath)
        if options.modelPath == nil, let local, let refusal = options.refusal(ofRequestedPath: local) {
            throw WeightSourceError(description: refusal)
        }
        if let local, FileManager.default.fileExists(atPath: local) { return .file(local) }
        guard request.canStreamWeights else {
            // Loading fails naming the missing path, as it always has.
            if let local { return .file(local) }
            throw WeightSourceError(description: "this worker has no model file (--cache-dir without --model) and the "
                                    + "coordinator does not stream weights: start the worker with --model PATH or "
                                    + "use a coordinator that supports weight streaming")
        }
        if request.modelSHA256.isEmpty { return .required }
        guard WeightCache.isValidSHA256(request.modelSHA256) else {
            throw WeightSourceError(description: "model_sha256 must be 64 lowercase hex digits, got \(request.modelSHA256.debugDescription)")
        }
        guard request.weightsManifestSHA256.count == 32 else {
            throw WeightSourceError(description: "LoadStage names no cache entry (weights_manifest_sha256, protocol 1.3): "
                                    + "this worker loads cached weights only by the digest of their manifest; upgrade the coordinator")
        }
        let entry = receiver.cache.entry(manifestSHA256: request.weightsManifestSHA256,
                                         layers: request.layerBegin..<request.layerEnd, isFirst: request.isFirst,
                                         isLast: request.isLast)
        let meter = TransferMeter(what: "verifying cached weights", total: 0, logger: logger)
        do {
            var seen: UInt64 = 0
            let bytes = try entry.verify { done, _ in meter.add(Int(done - seen)); seen = done }
            entry.touch()
            bytesFromCache += bytes
            logger.info("weights found in the cache", metadata: ["entry": "\(entry.directory)", "mb": "\(bytes >> 20)"])
            return .cache(entry)
        } catch {
            if FileManager.default.fileExists(atPath: entry.directory) {
                logger.warning("cache entry unusable: deleted, fetching again", metadata: [
                    "entry": "\(entry.directory)", "reason": "\(error)"])
                entry.remove()
            } else {
                logger.info("no cached weights for this stage: asking the coordinator to stream them",
                            metadata: ["entry": "\(entry.directory)"])
            }
            return .required
        }
    }

    /// Every tensor the stage reads lies inside a verified region of the cache entry.
    static func checkCoverage(file: GGUFFile, config: LlamaConfig, spec: StageSpec, covered: [Range<UInt64>],
                              path: String) throws {
        for name in spec.tensorNames(in: file, config: config) {
            let range = file.fileRange(of: try file.tensor(name))
            let inside = covered.contains { $0.lowerBound <= UInt64(range.lowerBound) && UInt64(range.upperBound) <= $0.upperBound }
            guard inside else {
                throw WeightSourceError(description: "cache entry \(path) lacks tensor \(name): delete it and load again")
            }
        }
    }
}
