import CZMQ

/// A CURVE key (Curve25519, 32 bytes), written as libzmq writes it: 40 characters of Z85.
public struct CurveKey: Sendable, Hashable, CustomStringConvertible {
    /// The 32 raw bytes (what LoadStage carries).
    public let bytes: [UInt8]
    /// The same key in Z85 (what key files, `tcp://host:port#KEY` and ZAP's User-Id hold).
    public let z85: String

    public init(z85 text: String) throws(SecurityError) {
        let text = text.trimmingCharactersInWhitespace
        guard text.utf8.count == 40 else { throw .badKey("a CURVE key is 40 Z85 characters, got \(text.utf8.count)") }
        var raw = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&raw, text) != nil else { throw .badKey("'\(text)' is not Z85 text") }
        bytes = raw
        z85 = text
    }

    public init(bytes raw: [UInt8]) throws(SecurityError) {
        guard raw.count == 32 else { throw .badKey("a CURVE key is 32 bytes, got \(raw.count)") }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, raw, 32) != nil else { throw .badKey("cannot encode the key as Z85") }
        bytes = raw
        z85 = String(cString: text)
    }

    public var description: String { z85 }
}

/// A CURVE key pair: this process's identity on every secured socket. Prints only its public half, so the secret
/// cannot reach a log line through string interpolation.
public struct CurveKeyPair: Sendable, CustomStringConvertible {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// A fresh pair from libzmq's generator (libsodium's randomness).
    public static func generate() throws(SecurityError) -> CurveKeyPair {
        try Curve.requireAvailable()
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw .unavailable("zmq_curve_keypair failed") }
        return CurveKeyPair(publicKey: try CurveKey(z85: String(cString: pub)), secretKey: try CurveKey(z85: String(cString: sec)))
    }

    /// The pair of a secret key: its public half is derived, so a key file holds only the secret.
    public init(secretKey: CurveKey) throws(SecurityError) {
        try Curve.requireAvailable()
        var pub = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&pub, secretKey.z85) == 0 else { throw .badKey("cannot derive a public key from this secret key") }
        self.publicKey = try CurveKey(z85: String(cString: pub))
        self.secretKey = secretKey
    }

    public var description: String { "CurveKeyPair(public: \(publicKey.z85))" }

    init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// Whether this libzmq can do CURVE (it needs libsodium or its bundled tweetnacl).
public enum Curve {
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// Throws, saying what to install, when keys are configured but libzmq cannot use them.
    public static func requireAvailable() throws(SecurityError) {
        guard isAvailable else {
            throw .unavailable("this libzmq was built without CURVE: install Debian/Ubuntu's libzmq5 (built with libsodium), "
                               + "Homebrew's zeromq, or build libzmq with --with-libsodium")
        }
    }
}

/// Keys, key files and the secure-by-default rules.
public enum SecurityError: Error, Equatable, Sendable, CustomStringConvertible {
    case badKey(String)
    case keyFile(path: String, String)
    case unavailable(String)
    /// Binding a reachable address without keys (or listening without an API key) when --insecure was not given.
    case insecureBind(String)

    public var description: String {
        switch self {
        case .badKey(let why): "bad CURVE key: \(why)"
        case .keyFile(let path, let why): "\(path): \(why)"
        case .unavailable(let why): why
        case .insecureBind(let why): why
        }
    }
}

extension String {
    var trimmingCharactersInWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
