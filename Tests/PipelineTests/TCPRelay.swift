import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on 127.0.0.1 in front of another local port, keeping a copy of every byte it forwards in either
/// direction: what a network observer between two stages would capture (a stand-in for tcpdump that needs no root).
final class TCPRelay: Sendable {
    let port: UInt16
    private let listener: Int32
    /// Everything relayed, and every socket to close on `stop()`, both behind the Mutex.
    private let captured = Mutex<[UInt8]>([])
    private let sockets = Mutex<[Int32]>([])

    init(toPort target: UInt16) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw RelayError("socket: errno \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 8) == 0 else { throw RelayError("bind/listen: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        sockets.withLock { $0.append(listener) }
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }    // stop() shut the listener down
                guard let upstream = try? Self.connectLoopback(port: target) else { close(client); continue }
                sockets.withLock { $0 += [client, upstream] }
                Thread.detachNewThread { self.pump(from: client, to: upstream) }
                Thread.detachNewThread { self.pump(from: upstream, to: client) }
            }
        }
    }

    /// Every byte relayed so far, both directions interleaved as they came.
    var bytes: [UInt8] { captured.withLock { $0 } }

    func stop() {
        for fd in sockets.withLock({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func pump(from source: Int32, to sink: Int32) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            captured.withLock { $0 += buffer[0..<n] }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { write(sink, $0.baseAddress! + sent, n - sent) }
                guard w > 0 else { shutdown(source, Int32(SHUT_RDWR)); return }
                sent += w
            }
        }
        shutdown(sink, Int32(SHUT_RDWR))
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func connectLoopback(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, rc == 0 else { close(fd); throw RelayError("connect to port \(port): errno \(errno)") }
        return fd
    }
}

struct RelayError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
