import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Key files, as `baton keygen PATH` writes them (like ssh-keygen): PATH holds the secret key (mode 0600), PATH.pub
/// the public key. Every file is text, a key being the first word of its line; a comment line starts with `#` and a
/// space (a lone `#` cannot mark one: it is a Z85 character, and a key may begin with it).
public enum KeyFiles {
    /// Writes a fresh pair to `secretPath` and `secretPath.pub`; refuses to replace an existing secret (an
    /// identity other peers have pinned) unless `overwrite`.
    @discardableResult
    public static func generate(secretPath: String, overwrite: Bool = false) throws(SecurityError) -> CurveKeyPair {
        let pair = try CurveKeyPair.generate()
        let manager = FileManager.default
        if manager.fileExists(atPath: secretPath) {
            guard overwrite else { throw .keyFile(path: secretPath, "exists: its public key may be pinned by peers (--force replaces it)") }
            try? manager.removeItem(atPath: secretPath)
        }
        let secret = "# Baton CURVE secret key (Z85). Keep it private: whoever has it is this node.\n\(pair.secretKey.z85)\n"
        // Created 0600 by open(2) itself, so the secret is never readable by others, not even briefly.
        try write(secret, to: secretPath, mode: 0o600)
        let pub = "# Baton CURVE public key (Z85): give it to the peers that must trust this node.\n\(pair.publicKey.z85)\n"
        try? manager.removeItem(atPath: secretPath + ".pub")
        try write(pub, to: secretPath + ".pub", mode: 0o644)
        return pair
    }

    /// Creates `path` (which must not exist) with `mode` and writes `text` to it.
    private static func write(_ text: String, to path: String, mode: mode_t) throws(SecurityError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .keyFile(path: path, "cannot be created: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .keyFile(path: path, "could not be written") }
    }

    /// The pair of the secret key in `path`. Refused when the file is readable by group or others (as ssh does),
    /// since then it no longer identifies this node alone.
    public static func readSecret(_ path: String) throws(SecurityError) -> CurveKeyPair {
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw .keyFile(path: path, "is readable by other users (mode \(String(mode, radix: 8))): chmod 600 \(path)")
        }
        let keys = try keyLines(path)
        guard let first = keys.first else { throw .keyFile(path: path, "holds no key") }
        do { return try CurveKeyPair(secretKey: try CurveKey(z85: first.key)) } catch {
            throw .keyFile(path: path, "line \(first.line): \(error)")
        }
    }

    /// The public key in `path` (a `.pub` file).
    public static func readPublic(_ path: String) throws(SecurityError) -> CurveKey {
        guard let first = try keyLines(path).first else { throw .keyFile(path: path, "holds no key") }
        return try key(first, path)
    }

    /// An authorized-keys file: one public key per line, each optionally followed by a name for logs.
    public static func readAuthorizedKeys(_ path: String) throws(SecurityError) -> [CurveKey] {
        let keys = try keyLines(path).map { line throws(SecurityError) in try key(line, path) }
        guard !keys.isEmpty else { throw .keyFile(path: path, "lists no keys: nobody could connect") }
        return keys
    }

    /// A known-workers file: `tcp://HOST:PORT KEY` per line — the public key each worker endpoint must present.
    public static func readKnownWorkers(_ path: String) throws(SecurityError) -> [String: CurveKey] {
        var known: [String: CurveKey] = [:]
        for line in try lines(path) {
            let words = line.text.split(whereSeparator: \.isWhitespace)
            guard words.count >= 2 else { throw .keyFile(path: path, "line \(line.line): expected 'tcp://HOST:PORT PUBLIC_KEY'") }
            known[String(words[0])] = try key((String(words[1]), line.line), path)
        }
        return known
    }

    /// `tcp://host:port#KEY` → the endpoint and its pinned key; a plain endpoint pins nothing.
    public static func splitPinned(_ endpoint: String) throws(SecurityError) -> (endpoint: String, key: CurveKey?) {
        guard let hash = endpoint.firstIndex(of: "#") else { return (endpoint, nil) }
        let key = try CurveKey(z85: String(endpoint[endpoint.index(after: hash)...]))
        return (String(endpoint[..<hash]), key)
    }

    private static func key(_ line: (key: String, line: Int), _ path: String) throws(SecurityError) -> CurveKey {
        do { return try CurveKey(z85: line.key) } catch { throw .keyFile(path: path, "line \(line.line): \(error)") }
    }

    /// The first word of every line that is not blank or a comment.
    private static func keyLines(_ path: String) throws(SecurityError) -> [(key: String, line: Int)] {
        try lines(path).compactMap { line in line.text.split(whereSeparator: \.isWhitespace).first.map { (String($0), line.line) } }
    }

    private static func lines(_ path: String) throws(SecurityError) -> [(text: String, line: Int)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .keyFile(path: path, "cannot be read") }
        // Key files are a few lines; anything large is not one (and is not read whole into a log message).
        guard data.count <= 1 << 20 else { throw .keyFile(path: path, "is \(data.count) bytes: not a key file") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().compactMap { i, raw in
                let text = raw.trimmingCharactersInWhitespace
                return text.isEmpty || text == "#" || text.hasPrefix("# ") || text.hasPrefix("#\t") ? nil : (text, i + 1)
            }
    }
}

extension Substring {
    var trimmingCharactersInWhitespace: String { String(self).trimmingCharactersInWhitespace }
}
