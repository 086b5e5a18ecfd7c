import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 client over a POSIX socket, so tests see the server's bytes exactly (SSE
/// framing) and can hang up in the middle of a stream.
struct HTTPReply {
    var status: Int
    /// Lower-cased names.
    var headers: [String: String]
    /// The body with any chunked transfer coding removed.
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HTTPTestError("body is not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}

struct HTTPTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One connection to 127.0.0.1:port.
final class HTTPConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: TimeInterval = 120) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestError("socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw HTTPTestError("cannot connect to 127.0.0.1:\(port)")
        }
    }

    private var closed = false

    /// Hangs up (a client going away mid-stream).
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    deinit { close() }

    func send(method: String, path: String, body: [UInt8]? = nil, headers: [String: String] = [:]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + (body ?? [])
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPTestError("send failed") }
            sent += n
        }
    }

    /// Sends `text` as it is: a request cut anywhere.
    func sendRaw(_ text: String) throws {
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n == bytes.count else { throw HTTPTestError("send failed") }
    }

    /// Reads until the server closes the connection (true) or the receive timeout passes (false).
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return true }
            if n < 0 { return false }
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw HTTPTestError("recv failed or timed out (errno \(errno))") }
        buffer.append(contentsOf: chunk[..<n])
        return n > 0
    }

    /// Status line and headers.
    func readHead() throws -> (status: Int, headers: [String: String]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let end = buffer.firstRange(of: separator) {
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<end.upperBound)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw HTTPTestError("bad status line") }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            guard try fill() else { throw HTTPTestError("connection closed before the response head") }
        }
    }

    /// The next piece of a chunked body; nil after the last chunk.
    func readChunk() throws -> [UInt8]? {
        let crlf: [UInt8] = Array("\r\n".utf8)
        while buffer.firstRange(of: crlf) == nil { guard try fill() else { return nil } }
        guard let line = buffer.firstRange(of: crlf),
              let size = Int(String(decoding: buffer[..<line.lowerBound], as: UTF8.self).split(separator: ";")[0], radix: 16)
        else { throw HTTPTestError("bad chunk size line") }
        buffer.removeSubrange(..<line.upperBound)
        while buffer.count < size + 2 { guard try fill() else { throw HTTPTestError("truncated chunk") } }
        let data = Array(buffer[..<size])
        buffer.removeSubrange(..<(size + 2))
        return size == 0 ? nil : data
    }

    /// The rest of the body, per the headers.
    func readBody(headers: [String: String]) throws -> [UInt8] {
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            var body: [UInt8] = []
            while let chunk = try readChunk() { body += chunk }
            return body
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            while buffer.count < length { guard try fill() else { throw HTTPTestError("truncated body") } }
            return Array(buffer[..<length])
        }
        while try fill() {}
        return buffer
    }
}

/// A whole request: connect, send, read everything.
func http(_ port: Int, _ method: String, _ path: String, json: Any? = nil, headers: [String: String] = [:]) throws -> HTTPReply {
    let connection = try HTTPConnection(port: port)
    let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
    try connection.send(method: method, path: path, body: body, headers: headers)
    let (status, replyHeaders) = try connection.readHead()
    return HTTPReply(status: status, headers: replyHeaders, body: try connection.readBody(headers: replyHeaders))
}
