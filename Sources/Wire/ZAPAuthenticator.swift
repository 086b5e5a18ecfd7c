import CZMQ
import Foundation
import Logging
import Synchronization

/// The ZAP 1.0 handler (ZeroMQ RFC 27) of one context: libzmq asks it, over inproc://zeromq.zap.01, whether each
/// CURVE client completing a handshake with one of the context's server sockets may connect. Each server socket
/// names a `Domain` (ZMQ_ZAP_DOMAIN) whose policy is a set of client public keys; anything else is refused, so
/// the connection never completes and not one message from it is read. An admitted connection's User-Id is its
/// client's public key (Z85), which every message it sends carries (`ZMQSocket.receive(timeout:sender:)`).
///
/// libzmq admits every CURVE client when no handler is bound, so a server socket can only be configured with a
/// `Domain`, and a `Domain` only comes from a running authenticator of the same context.
public final class ZAPAuthenticator: Sendable {
    /// A server socket's policy name, tied to the authenticator (and so the context) that enforces it.
    public struct Domain: Sendable, Hashable {
        public let name: String
        let context: UInt
    }

    private let state = State()
    private let thread: SocketThread
    private let contextID: UInt
    static let endpoint = "inproc://zeromq.zap.01"

    /// Binds the handler in `context` (before any server socket can ask it) and serves it on a `SocketThread`
    /// until `stop()` (or deinit).
    public init(context: ZMQContext) throws(WireError) {
        contextID = UInt(bitPattern: context.handle)
        let socket = try context.socket(.rep, options: ZAPAuthenticator.socketOptions)
        try socket.bind(ZAPAuthenticator.endpoint)
        thread = try SocketThread(name: "baton-zap", context: context, socket: socket)
        thread.start { [state] socket in state.serveOne(socket) }
    }

    deinit { stop() }

    /// Registers (or replaces) the keys `name`'s sockets admit. An empty list admits nobody.
    public func domain(_ name: String, allowing keys: [CurveKey]) -> Domain {
        state.policies.withLock { $0[name] = Set(keys.map(\.bytes)) }
        return Domain(name: name, context: contextID)
    }

    /// Replaces the keys a domain admits. Connections already admitted stay connected (ZAP runs once per
    /// handshake), so a socket whose policy can change also checks each message's sender.
    public func allow(_ domain: Domain, keys: [CurveKey]) {
        state.policies.withLock { $0[domain.name] = Set(keys.map(\.bytes)) }
    }

    /// Ends the handler thread (idempotent). Sockets of the context accept no new CURVE clients afterwards: a
    /// request still in flight is refused.
    public func stop() {
        state.stopped.store(true, ordering: .relaxed)
        thread.stop()
    }

    private static var socketOptions: ZMQSocketOptions {
        var o = ZMQSocketOptions()
        o.tcpKeepalive = nil
        return o
    }

    /// The handler's shared state: policies written by `domain`/`allow`, read by the thread; both behind a Mutex.
    private final class State: Sendable {
        let policies = Mutex<[String: Set<[UInt8]>]>([:])
        let stopped = Atomic<Bool>(false)
        private let logger = Logger(label: "baton.wire.zap")

        /// Answers the ZAP request waiting on `socket`.
        func serveOne(_ socket: ZMQSocket) {
            guard let frames = try? socket.receive(timeout: .zero, maxFrames: 8) else { return }
            let reply = stopped.load(ordering: .relaxed) ? Self.reply(id: frames.count > 1 ? frames[1] : [], "400", "stopped")
                                                         : answer(frames)
            do { try socket.send(reply, timeout: .seconds(1)) } catch {
                logger.error("could not answer a ZAP request", metadata: ["error": "\(error)"])
            }
        }

        /// RFC 27: [version, request id, domain, address, identity, mechanism, credentials…] →
        /// [version, request id, status code, status text, user id, metadata].
        func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
            guard frames.count >= 6 else { return Self.reply(id: [], "400", "malformed ZAP request") }
            let id = frames[1]
            guard frames[0] == Array("1.0".utf8) else { return Self.reply(id: id, "400", "unsupported ZAP version") }
            let domain = String(decoding: frames[2], as: UTF8.self)
            let address = String(decoding: frames[3], as: UTF8.self)
            guard frames[5] == Array("CURVE".utf8), frames.count == 7, frames[6].count == 32 else {
                logger.warning("refused a connection that is not CURVE", metadata: ["domain": "\(domain)", "from": "\(address)"])
                return Self.reply(id: id, "400", "CURVE required")
            }
            let key = frames[6]
            let admitted = policies.withLock { $0[domain]?.contains(key) ?? false }
            let z85 = (try? CurveKey(bytes: key))?.z85 ?? "?"
            guard admitted else {
                logger.warning("refused a CURVE client whose key is not authorized",
                               metadata: ["domain": "\(domain)", "from": "\(address)", "key": "\(z85)"])
                return Self.reply(id: id, "400", "key not authorized")
            }
            return Self.reply(id: id, "200", "OK", userID: z85)
        }

        static func reply(id: [UInt8], _ status: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), id, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
    }
}
