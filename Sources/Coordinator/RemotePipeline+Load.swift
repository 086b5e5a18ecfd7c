import Foundation
import Wire
import Engine

/// How a stage's weights got onto its worker at the last `connect`.
public struct StageLoad: Sendable, Equatable {
    public var stage: Int
    public var endpoint: String
    public var weightBytes: UInt64
    /// Loaded from the worker's verified weight cache.
    public var fromCache: Bool
    /// What was streamed from this coordinator (nil: nothing was).
    public var transfer: WeightTransferReport?

    /// Bytes streamed to the worker for this load (0 when it had a local copy or a valid cache entry).
    public var bytesStreamed: UInt64 { transfer?.bytes ?? 0 }
}

extension RemotePipeline {
    /// Loads stage `i`. A worker without the model answers `weights_required`: the coordinator hashes its file
    /// and the stage's regions (once per process) and asks again naming the cache entry by its manifest's
    /// sha256, so a worker holding an entry made from exactly these bytes loads it; if it still needs the
    /// weights they are streamed and the request is repeated.
    func loadStage(_ i: Int, nextHop: String, progress: (String) -> Void) async throws -> LoadStageReply {
        let link = links[i]
        var request = loadRequest(stage: i, nextHop: nextHop)
        let workerStreams = await link.hello?.capabilities.contains(.weightStreaming) ?? false
        request.canStreamWeights = options.streamWeights && workerStreams
        if i + 1 < links.count {
            request.nextHopTakesBatches = await links[i + 1].hello?.capabilities.contains(.forwardBatch) ?? false
        }
        var reply = try await sendLoad(request, link: link)
        var transfer: WeightTransferReport?
        if reply.weightsRequired, request.modelSHA256.isEmpty {
            progress("stage \(i): the worker has no local copy; hashing \(options.modelPath) for its cache")
            request.modelSHA256 = try ModelDigest.sha256(path: options.modelPath, logger: logger)
            let offer = try WeightStreamer(path: options.modelPath, modelSHA256: request.modelSHA256, spec: plan.spec(i),
                                           logger: logger).offer()
            request.weightsManifestSHA256 = try ModelDigest.manifestSHA256(path: options.modelPath, offer: offer, logger: logger)
            reply = try await sendLoad(request, link: link)
        }
        if reply.weightsRequired {
            let streamer = WeightStreamer(path: options.modelPath, modelSHA256: request.modelSHA256,
                                          spec: plan.spec(i), logger: logger)
            progress("stage \(i): streaming its weights to \(link.endpoint)")
            let report = try await heard(link) { () async throws(PipelineError) in try await link.stream(streamer) }
            transfer = report
            progress("stage \(i): streamed \(report.bytes >> 20) MiB in \(String(format: "%.2f", report.seconds)) s "
                     + "(\(String(format: "%.0f", report.megabytesPerSecond)) MB/s)")
            reply = try await sendLoad(request, link: link)
            guard !reply.weightsRequired else {
                throw PipelineError.unavailable(stage: i, endpoint: link.endpoint,
                                                reason: "it still asks for weights after a verified transfer; check its --cache-dir")
            }
        }
        stageLoads.withLock {
            $0[i] = StageLoad(stage: i, endpoint: link.endpoint, weightBytes: reply.weightBytes,
                              fromCache: reply.fromCache, transfer: transfer)
        }
        return reply
    }

    private func sendLoad(_ request: LoadStage, link: WorkerLink) async throws -> LoadStageReply {
        let reply = try await self.request(link, .loadStage(request), timeout: options.loadTimeout)
        guard case .loadStageReply(let loaded) = reply else {
            throw PipelineError(stage: link.stageIndex, endpoint: link.endpoint,
                                WireError.unexpectedReply(expected: "LoadStageReply", got: reply.kind))
        }
        return loaded
    }
}
