import Logging

/// Progress of a long byte transfer or scan: logs bytes, MB/s and ETA about once a second, and a summary at
/// the end. Used on both sides of weight streaming and for hashing big files.
/// Invariant for `@unchecked Sendable`: one transfer's thread calls `add`/`finish`; nothing else reads it meanwhile.
public final class TransferMeter: @unchecked Sendable {
    private let what: String
    private let total: UInt64
    private let logger: Logger
    private let start = ContinuousClock.now
    private var lastLog = ContinuousClock.now
    public private(set) var bytes: UInt64 = 0

    public init(what: String, total: UInt64, logger: Logger) {
        self.what = what
        self.total = total
        self.logger = logger
    }

    public var seconds: Double { (ContinuousClock.now - start).seconds }
    public var megabytesPerSecond: Double { Double(bytes) / 1e6 / max(seconds, 1e-9) }

    public func add(_ count: Int) {
        bytes += UInt64(count)
        let now = ContinuousClock.now
        guard now - lastLog >= .seconds(1) else { return }
        lastLog = now
        let rate = megabytesPerSecond
        let eta = rate > 0 ? Double(total > bytes ? total - bytes : 0) / 1e6 / rate : 0
        logger.info("\(what)", metadata: [
            "mb": "\(bytes >> 20)/\(total >> 20)", "mb_per_s": "\(Self.format(rate))", "eta_s": "\(Self.format(eta))"])
    }

    /// Logs the summary line.
    public func finish() {
        logger.info("\(what): done", metadata: [
            "mb": "\(bytes >> 20)", "seconds": "\(Self.format(seconds))", "mb_per_s": "\(Self.format(megabytesPerSecond))"])
    }

    static func format(_ x: Double) -> String {
        x.isFinite ? String(Int((x * 10).rounded()) / 10) + "." + String(Int((x * 10).rounded()) % 10) : "?"
    }
}
