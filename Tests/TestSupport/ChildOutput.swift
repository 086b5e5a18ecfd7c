import Foundation

/// The first line starting with `prefix` that a child process prints on `pipe`. The pipe is read on another
/// thread, so a child that stays silent cannot block the test past `timeout`; nil when no such line came.
public func firstLine(from pipe: Pipe, prefix: String, timeout: TimeInterval) -> String? {
    let handle = pipe.fileHandleForReading
    let found = DispatchSemaphore(value: 0)
    let line = Locked<String?>(nil)
    Thread.detachNewThread {
        var buffer = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer += chunk
            if let match = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                line.set(String(match))
                break
            }
        }
        found.signal()
    }
    guard found.wait(timeout: .now() + timeout) == .success else { return nil }
    return line.get()
}

/// A value shared between threads behind a lock.
public final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    public init(_ value: T) { self.value = value }
    public func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    public func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    public func update(_ f: (inout T) -> Void) { lock.lock(); f(&value); lock.unlock() }
}
