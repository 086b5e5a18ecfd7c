import Digest
import Foundation
import GGUF
import Llama
import Logging
import Wire
import Engine

/// What one weight transfer to a worker moved.
public struct WeightTransferReport: Sendable, Equatable {
    public var bytes: UInt64
    public var regions: Int
    public var seconds: Double

    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : 0 }
}

/// The coordinator's side of a weight transfer: offers a stage's regions of the model file (the GGUF header
/// and the stage's tensors), then sends them in chunks read with pread, hashing each region as it goes and
/// sending its sha256 with the region's last chunk. At most `credit` chunks are unanswered at once, so memory
/// stays at a few chunks whatever the model's size.
struct WeightStreamer {
    /// Bytes per chunk: well under every socket's ZMQ_MAXMSGSIZE and the worker's chunk limit.
    static let chunkBytes = 2 << 20
    /// Upper bound on the worker's credit, whatever it asks for.
    static let maxCredit: UInt32 = 16

    let path: String
    let modelSHA256: String
    let spec: StageSpec
    let logger: Logger
    /// Time one chunk (or the offer, or WeightDone) may take to be answered.
    var replyTimeout: Duration = .seconds(60)

    /// The regions this stage needs, sorted by offset: [0, data offset) and each tensor it reads.
    func offer() throws -> WeightOffer {
        let file = try GGUFFile(path: path)   // maps the file but touches only the header's pages
        let config = try LlamaConfig(gguf: file)
        var regions = [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: UInt64(file.dataOffset))]
        let tensors = try Set(spec.tensorNames(in: file, config: config)).map { try file.tensor($0) }
        for tensor in tensors.sorted(by: { $0.offset < $1.offset }) where tensor.byteCount > 0 {
            let range = file.fileRange(of: tensor)
            regions.append(WeightRegion(name: tensor.name, fileOffset: UInt64(range.lowerBound), size: UInt64(range.count)))
        }
        return WeightOffer(modelSHA256: modelSHA256, fileSize: UInt64(file.fileSize),
                           layerBegin: UInt32(spec.layers.lowerBound), layerEnd: UInt32(spec.layers.upperBound),
                           isFirst: spec.hasEmbedding, isLast: spec.hasHead, regions: regions,
                           maxChunkBytes: UInt32(Self.chunkBytes))
    }

    /// Streams the stage over `connection` (held exclusively by the caller).
    func stream(over connection: Connection) throws -> WeightTransferReport {
        let offer = try offer()
        let meter = TransferMeter(what: "streaming weights to \(connection.endpoint)", total: offer.totalBytes, logger: logger)
        guard case .weightCredit(let first) = try connection.request(.weightOffer(offer), timeout: replyTimeout) else {
            throw WireError.unexpectedReply(expected: "WeightCredit", got: "another reply")
        }
        var window = Window(connection: connection, credit: first.chunks, timeout: replyTimeout)
        for region in offer.regions {
            var hasher = SHA256()
            try FileDigest.read(path: path, range: region.fileOffset..<region.end, bufferBytes: Self.chunkBytes) { bytes, done, total in
                hasher.update(bytes)
                let sha = done == total ? hasher.finalize() : []
                try window.send(.weightChunk(WeightChunk(fileOffset: region.fileOffset + done - UInt64(bytes.count),
                                                         data: Array(bytes), regionSHA256: sha)))
                meter.add(bytes.count)
            }
        }
        try window.drain()
        let reply = try connection.request(.weightDone(WeightDone(modelSHA256: modelSHA256)), timeout: replyTimeout)
        guard case .weightDoneReply(let done) = reply else {
            throw WireError.unexpectedReply(expected: "WeightDoneReply", got: reply.kind)
        }
        guard done.regionsVerified == offer.regions.count, done.bytesReceived == offer.totalBytes else {
            throw WireError.invalid("the worker verified \(done.regionsVerified) of \(offer.regions.count) regions "
                                    + "(\(done.bytesReceived) of \(offer.totalBytes) bytes)")
        }
        meter.finish()
        return WeightTransferReport(bytes: meter.bytes, regions: offer.regions.count, seconds: meter.seconds)
    }

    /// Requests in flight, at most `credit` of them; each reply may change the credit.
    private struct Window {
        let connection: Connection
        var credit: UInt32
        let timeout: Duration
        var outstanding = Set<UInt64>()

        init(connection: Connection, credit: UInt32, timeout: Duration) {
            self.connection = connection
            self.credit = min(max(credit, 1), WeightStreamer.maxCredit)
            self.timeout = timeout
        }

        mutating func send(_ message: WireMessage) throws {
            while outstanding.count >= Int(credit) { try awaitOne() }
            outstanding.insert(try connection.send(message, timeout: timeout))
        }

        mutating func drain() throws {
            while !outstanding.isEmpty { try awaitOne() }
        }

        /// One reply to an outstanding chunk; replies to older, abandoned requests are skipped.
        private mutating func awaitOne() throws {
            let reply = try connection.receiveReply(timeout: timeout)
            guard outstanding.remove(reply.requestID) != nil else { return }
            switch reply.message {
            case .weightCredit(let c): credit = min(max(c.chunks, 1), WeightStreamer.maxCredit)
            case .error(let e): throw WireError.remote(e)
            default: throw WireError.unexpectedReply(expected: "WeightCredit", got: reply.message.kind)
            }
        }
    }
}
