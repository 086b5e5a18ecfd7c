import Crypto

/// Incremental SHA-256 (FIPS 180-4), from swift-crypto: on Linux BoringSSL's assembly (SHA-NI where the CPU has
/// it), several times faster than a Swift loop. Kept as Baton's own small type so callers see byte arrays.
public struct SHA256 {
    private var hasher = Crypto.SHA256()

    public init() {}

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }

    public mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The digest of everything passed to `update` (32 bytes).
    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, as sha256sum prints it.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
