#if canImport(Glibc)
import Glibc
#endif

/// The local IP address this machine uses to reach a peer, found by "connecting" a UDP socket (which sends
/// nothing) and reading its bound address. Loopback peers get 127.0.0.1.
enum LocalAddress {
    static func facing(_ endpoint: String) -> String {
        guard let host = WorkerLink.host(of: endpoint), !host.hasPrefix("127."), host != "localhost" else { return "127.0.0.1" }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "127.0.0.1" }
        defer { close(fd) }
        var peer = sockaddr_in()
        peer.sin_family = sa_family_t(AF_INET)
        peer.sin_port = in_port_t(9).bigEndian
        guard inet_pton(AF_INET, host, &peer.sin_addr) == 1 else { return "127.0.0.1" }
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "127.0.0.1" }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return "127.0.0.1" }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &local.sin_addr, &buffer, socklen_t(buffer.count)) != nil else { return "127.0.0.1" }
        return String(cString: buffer)
    }
}
