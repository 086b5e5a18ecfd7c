#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hashing and reading byte ranges of files with `pread` into one small buffer, never a memory map: the
/// coordinator hashes and streams multi-GB models while its resident set stays a few MiB.
public enum FileDigest {
    /// Read size: big enough for full disk throughput, small enough to keep memory flat.
    public static let bufferBytes = 4 << 20

    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot read \(path): \(reason)" }

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// SHA-256 of `range` of the file at `path` (the whole file when nil). `progress(done, total)` is called
    /// after every buffer.
    public static func sha256(path: String, range: Range<UInt64>? = nil,
                              progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }) throws -> [UInt8] {
        var hasher = SHA256()
        try read(path: path, range: range) { bytes, done, total in
            hasher.update(bytes)
            progress(done, total)
        }
        return hasher.finalize()
    }

    /// Calls `body` with consecutive pieces (≤ `bufferBytes`) of `range` of the file (the whole file when nil).
    /// Throws `Failure` for the file, or what `body` throws.
    public static func read(path: String, range: Range<UInt64>? = nil, bufferBytes: Int = bufferBytes,
                            _ body: (UnsafeRawBufferPointer, _ done: UInt64, _ total: UInt64) throws -> Void) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let size = try fileSize(fd: fd, path: path)
        let span = range ?? 0..<size
        guard span.upperBound <= size else {
            throw Failure(path: path, reason: "bytes \(span) lie past its end (\(size) bytes): the file changed?")
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferBytes, 1), alignment: 4096)
        defer { buffer.deallocate() }
        var offset = span.lowerBound
        while offset < span.upperBound {
            let want = Int(min(UInt64(buffer.count), span.upperBound - offset))
            let got = pread(fd, buffer.baseAddress, want, off_t(offset))
            guard got > 0 else {
                throw Failure(path: path, reason: got == 0 ? "unexpected end of file at byte \(offset)"
                                                           : String(cString: strerror(errno)))
            }
            offset += UInt64(got)
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), offset - span.lowerBound, UInt64(span.count))
        }
    }

    /// Size in bytes of the regular file at `path`.
    public static func size(path: String) throws(Failure) -> UInt64 {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        return try fileSize(fd: fd, path: path)
    }

    private static func fileSize(fd: Int32, path: String) throws(Failure) -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(path: path, reason: "not a regular file") }
        return UInt64(info.st_size)
    }
}
