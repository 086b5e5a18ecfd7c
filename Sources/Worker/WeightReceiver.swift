import Digest
import Engine
import Foundation
import Logging
import Wire

/// Why a weight transfer was refused; each maps to the Error code the coordinator receives.
enum WeightReceiveError: Error, CustomStringConvertible {
    /// The coordinator sent something inconsistent with the protocol or its own offer.
    case badRequest(String)
    /// The cache directory cannot take the entry (permissions, disk full, I/O error).
    case storage(String, errno: Int32)
    /// A region's bytes do not match the sha256 sent with it.
    case corrupt(String)

    var description: String {
        switch self {
        case .badRequest(let why), .corrupt(let why): why
        case .storage(let why, _): why
        }
    }

    var code: ErrorCode {
        switch self {
        case .badRequest: .badRequest
        case .storage(_, let e) where e == ENOSPC || e == EDQUOT: .resourceExhausted
        case .storage, .corrupt: .loadFailed
        }
    }
}

/// The worker's side of one weight transfer (WeightOffer → WeightChunk … → WeightDone): writes each chunk at
/// its offset in a partial entry's sparse model.gguf, hashes every region as it arrives and refuses it if the
/// sha256 sent with its last chunk differs. Once all arrived, the entry is named by the digest of what was
/// verified (`WeightCache`), never by anything the sender claims. Any error abandons the transfer and deletes
/// the partial entry. Runs on the compute thread only.
final class WeightReceiver {
    /// Chunks the coordinator may keep unanswered: bounds what sits in this worker's socket queue.
    static let window: UInt32 = 4
    /// Largest chunk accepted (the coordinator's Envelope must also fit the control socket's ZMQ_MAXMSGSIZE).
    static let maxChunkBytes: UInt32 = 8 << 20

    private struct Transfer {
        let offer: WeightOffer
        /// The partial entry's directory and its sparse model file.
        let directory: String
        var modelPath: String { directory + "/model.gguf" }
        let fd: Int32
        var region = 0
        var regionReceived: UInt64 = 0
        var hasher = SHA256()
        var verified: [WeightManifest.Region] = []
        var bytesReceived: UInt64 = 0
        let meter: TransferMeter
    }

    let cache: WeightCache
    private let logger: Logger
    private var transfer: Transfer?
    /// Bytes received by streaming since the worker started (HealthReply.weight_bytes_received).
    private(set) var totalReceived: UInt64 = 0

    init(cache: WeightCache, logger: Logger) {
        self.cache = cache
        self.logger = logger
    }

    /// Answers one weight-streaming request; errors become an Error reply and end the transfer.
    func handle(_ message: WireMessage) -> WireMessage {
        do {
            switch message {
            case .weightOffer(let offer): return .weightCredit(try begin(offer))
            case .weightChunk(let chunk): return .weightCredit(try write(chunk))
            case .weightDone(let done): return .weightDoneReply(try finish(done))
            default: throw WeightReceiveError.badRequest("\(message.kind) is not a weight-streaming request")
            }
        } catch {
            let failure = error as? WeightReceiveError ?? .storage("\(error)", errno: 0)
            logger.error("weight transfer failed", metadata: ["error": "\(failure)"])
            abandon()
            return .error(ErrorMessage(code: failure.code, message: "weight transfer: \(failure)"))
        }
    }

    private func begin(_ offer: WeightOffer) throws -> WeightCredit {
        abandon()
        try Self.validate(offer)
        guard cache.limitBytes == 0 || offer.totalBytes <= cache.limitBytes else {
            throw WeightReceiveError.storage("the stage's \(offer.totalBytes >> 20) MiB do not fit the cache's "
                                             + "--cache-max-gb of \(cache.limitBytes >> 20) MiB: raise it", errno: ENOSPC)
        }
        let directory = cache.partialDirectory()
        let fd = try Self.createSparseFile(directory: directory, size: offer.fileSize, needed: offer.totalBytes)
        let meter = TransferMeter(what: "receiving weights", total: offer.totalBytes, logger: logger)
        transfer = Transfer(offer: offer, directory: directory, fd: fd, meter: meter)
        logger.info("weight transfer started", metadata: [
            "entry": "\(directory)", "regions": "\(offer.regions.count)", "mb": "\(offer.totalBytes >> 20)"])
        return WeightCredit(chunks: Self.window, bytesReceived: 0)
    }

    private func write(_ chunk: WeightChunk) throws -> WeightCredit {
        guard var t = transfer else {
            throw WeightReceiveError.badRequest("WeightChunk without a WeightOffer: send the offer first")
        }
        defer { transfer = t }
        let regions = t.offer.regions
        guard t.region < regions.count else { throw WeightReceiveError.badRequest("chunk after the last offered region") }
        let region = regions[t.region]
        let expected = region.fileOffset + t.regionReceived
        guard chunk.fileOffset == expected else {
            throw WeightReceiveError.badRequest("chunk at file offset \(chunk.fileOffset), expected \(expected) "
                                                + "(next bytes of \(region.name))")
        }
        guard !chunk.data.isEmpty, chunk.data.count <= Int(t.offer.maxChunkBytes),
              UInt64(chunk.data.count) <= region.size - t.regionReceived else {
            throw WeightReceiveError.badRequest("chunk of \(chunk.data.count) bytes at \(chunk.fileOffset) does not fit "
                                                + "\(region.name) (\(region.size - t.regionReceived) bytes left, chunk limit "
                                                + "\(t.offer.maxChunkBytes))")
        }
        try Self.pwriteAll(t.fd, chunk.data, at: chunk.fileOffset, path: t.modelPath)
        t.hasher.update(chunk.data)
        t.regionReceived += UInt64(chunk.data.count)
        t.bytesReceived += UInt64(chunk.data.count)
        totalReceived += UInt64(chunk.data.count)
        t.meter.add(chunk.data.count)
        if t.regionReceived == region.size {
            let received = t.hasher.finalize()
            guard chunk.regionSHA256 == received else {
                throw WeightReceiveError.corrupt("\(region.name): sha256 of the received bytes is \(received.hexString), "
                                                 + "the coordinator sent \(chunk.regionSHA256.hexString); transfer abandoned")
            }
            t.verified.append(.init(name: region.name, fileOffset: region.fileOffset, size: region.size,
                                    sha256: received.hexString))
            t.region += 1
            t.regionReceived = 0
            t.hasher = SHA256()
        } else if !chunk.regionSHA256.isEmpty {
            throw WeightReceiveError.badRequest("region_sha256 on a chunk that does not end \(region.name)")
        }
        return WeightCredit(chunks: Self.window, bytesReceived: t.bytesReceived)
    }

    private func finish(_ done: WeightDone) throws -> WeightDoneReply {
        guard let t = transfer else { throw WeightReceiveError.badRequest("WeightDone without a WeightOffer") }
        guard done.modelSHA256 == t.offer.modelSHA256 else {
            throw WeightReceiveError.badRequest("WeightDone for model \(done.modelSHA256), the offer was \(t.offer.modelSHA256)")
        }
        guard t.region == t.offer.regions.count else {
            let missing = t.offer.regions[t.region]
            throw WeightReceiveError.badRequest("WeightDone before every region arrived: \(missing.name) is incomplete")
        }
        guard fsync(t.fd) == 0 else {
            throw WeightReceiveError.storage("cannot flush \(t.modelPath): \(String(cString: strerror(errno)))", errno: errno)
        }
        let o = t.offer
        let manifest = WeightManifest(modelSHA256: o.modelSHA256, fileSize: o.fileSize, layerBegin: o.layerBegin,
                                      layerEnd: o.layerEnd, isFirst: o.isFirst, isLast: o.isLast, regions: t.verified)
        let entry = cache.entry(manifestSHA256: manifest.digest, layers: o.layerBegin..<o.layerEnd, isFirst: o.isFirst,
                                isLast: o.isLast)
        try WeightCacheEntry.seal(manifest, from: t.directory, as: entry)
        close(t.fd)
        transfer = nil
        t.meter.finish()
        logger.info("weight transfer sealed", metadata: ["entry": "\(entry.directory)"])
        for evicted in cache.evict(keeping: entry.directory) {
            logger.notice("cache entry evicted: --cache-max-gb reached", metadata: ["entry": "\(evicted)"])
        }
        return WeightDoneReply(regionsVerified: UInt32(t.verified.count), bytesReceived: t.bytesReceived)
    }

    /// Drops an unfinished transfer and its partial entry.
    func abandon() {
        guard let t = transfer else { return }
        close(t.fd)
        try? FileManager.default.removeItem(atPath: t.directory)
        transfer = nil
        logger.warning("partial weight transfer discarded", metadata: ["entry": "\(t.directory)"])
    }

    /// Offers are checked whole before anything is written: the hash is a directory name, regions are sorted,
    /// disjoint, inside the file, and start with the GGUF header.
    static func validate(_ offer: WeightOffer) throws {
        func bad(_ why: String) -> WeightReceiveError { .badRequest("WeightOffer: \(why)") }
        guard WeightCache.isValidSHA256(offer.modelSHA256) else { throw bad("model_sha256 must be 64 lowercase hex digits") }
        guard offer.fileSize <= UInt64(Int64.max) else { throw bad("file_size \(offer.fileSize) is larger than any file") }
        guard offer.layerBegin <= offer.layerEnd, offer.layerEnd - offer.layerBegin <= 4096 else {
            throw bad("layer range \(offer.layerBegin)..<\(offer.layerEnd) is invalid")
        }
        guard offer.maxChunkBytes > 0, offer.maxChunkBytes <= maxChunkBytes else {
            throw bad("max_chunk_bytes \(offer.maxChunkBytes) must be 1…\(maxChunkBytes)")
        }
        guard let first = offer.regions.first, first.name == WeightRegion.headerName, first.fileOffset == 0 else {
            throw bad("the first region must be \(WeightRegion.headerName) at offset 0")
        }
        var end: UInt64 = 0
        for region in offer.regions {
            guard region.size > 0, region.fileOffset >= end, region.end <= offer.fileSize else {
                throw bad("region \(region.name) (\(region.fileOffset), \(region.size) bytes) overlaps another or lies "
                          + "outside the \(offer.fileSize)-byte file")
            }
            end = region.end
        }
    }

    /// Creates the entry directory and a sparse file of the model's size. Checks free space first, since a
    /// sparse file only fails for lack of space when the bytes arrive.
    private static func createSparseFile(directory: String, size: UInt64, needed: UInt64) throws -> Int32 {
        if let (path, e) = makeDirectories(directory) {
            throw WeightReceiveError.storage("cannot create the cache entry \(directory): \(path): "
                                             + "\(String(cString: strerror(e))); give the worker a writable --cache-dir", errno: e)
        }
        var fs = statvfs()
        if statvfs(directory, &fs) == 0, UInt64(fs.f_bavail) * UInt64(fs.f_frsize) < needed {
            throw WeightReceiveError.storage("the cache directory \(directory) has \(UInt64(fs.f_bavail) * UInt64(fs.f_frsize) >> 20) "
                                             + "MiB free, the stage needs \(needed >> 20) MiB: free space or use another --cache-dir",
                                             errno: ENOSPC)
        }
        let path = directory + "/model.gguf"
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw WeightReceiveError.storage("cannot create \(path): \(String(cString: strerror(errno)))", errno: errno)
        }
        guard size <= UInt64(Int64.max), ftruncate(fd, off_t(size)) == 0 else {
            let e = size > UInt64(Int64.max) ? EFBIG : errno
            close(fd)
            throw WeightReceiveError.storage("cannot size \(path) to \(size) bytes: \(String(cString: strerror(e)))", errno: e)
        }
        return fd
    }

    /// `mkdir -p`; on failure the directory that could not be made and errno (FileManager's errors hide it).
    private static func makeDirectories(_ path: String) -> (String, Int32)? {
        var made = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            made += "/" + part
            if mkdir(made, 0o700) != 0 && errno != EEXIST { return (made, errno) }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return (path, ENOTDIR) }
        return nil
    }

    private static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress.map { $0 + done }, raw.count - done, off_t(offset) + off_t(done))
                guard n > 0 else {
                    let e = errno
                    throw WeightReceiveError.storage("cannot write \(path): \(String(cString: strerror(e)))", errno: e)
                }
                done += n
            }
        }
    }
}
