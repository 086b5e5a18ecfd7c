#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A one-line progress display on stderr, drawn only when stderr is a terminal and at most ~10 times a second.
final class ProgressBar {
    private let label: String
    private let enabled = isatty(2) != 0
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private let start = ContinuousClock.now

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard enabled, ContinuousClock.now - lastDraw > .milliseconds(100) || done == total else { return }
        lastDraw = .now
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let mb = Double(done) / 1_048_576
        let elapsed = (ContinuousClock.now - start).seconds
        let rate = elapsed > 0 ? mb / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / 1_048_576 / rate : 0
        let line = "\r\(label) \(bar) " + String(format: "%5.1f%% %8.1f MB %6.0f MB/s ETA %4.0fs", fraction * 100, mb,
                                                   rate, remaining)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
