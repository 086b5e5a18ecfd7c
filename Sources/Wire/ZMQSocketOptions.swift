import CZMQ

/// Options applied when a socket is created. Defaults favour failing fast over waiting silently:
/// no linger on close, a bounded message size, TCP keepalive so a vanished peer is noticed.
public struct ZMQSocketOptions: Sendable {
    /// ZMQ_MAXMSGSIZE: a peer sending more is disconnected by libzmq. nil = unlimited.
    public var maxMessageSize: Int? = Envelope.defaultMaxSize
    /// ZMQ_LINGER: how long close waits to flush unsent messages.
    public var lingerMilliseconds: Int32 = 0
    /// ZMQ_SNDHWM / ZMQ_RCVHWM (messages); nil keeps libzmq's 1000.
    public var sendHighWaterMark: Int32? = nil
    public var receiveHighWaterMark: Int32? = nil
    /// ZMQ_ROUTER_MANDATORY (ROUTER only): sending to an unknown routing id fails instead of dropping.
    public var routerMandatory: Bool = true
    /// ZMQ_IMMEDIATE: queue messages only on completed connections, so a send to an absent peer times
    /// out instead of being delivered whenever the peer shows up.
    public var immediate: Bool = false
    /// ZMQ_TCP_KEEPALIVE and its timings; nil leaves the OS defaults.
    public var tcpKeepalive: TCPKeepalive? = TCPKeepalive()
    /// ZMQ_ROUTING_ID for DEALER/REQ sockets talking to a ROUTER (1–255 bytes); nil = libzmq picks one.
    public var routingID: [UInt8]? = nil
    /// CURVE: nil = no security (ZeroMQ's NULL mechanism: anyone who reaches the port is heard, in clear).
    public var curve: CurveRole? = nil

    public init() {}

    public struct TCPKeepalive: Sendable {
        public var idleSeconds: Int32 = 30
        public var intervalSeconds: Int32 = 10
        public var count: Int32 = 3

        public init(idleSeconds: Int32 = 30, intervalSeconds: Int32 = 10, count: Int32 = 3) {
            self.idleSeconds = idleSeconds
            self.intervalSeconds = intervalSeconds
            self.count = count
        }
    }

    /// For a coordinator's control DEALER: requests to an absent worker time out at send.
    public static var control: ZMQSocketOptions {
        var o = ZMQSocketOptions()
        o.immediate = true
        return o
    }
}

/// A socket's side of a CURVE handshake (set before bind/connect: libzmq reads it at each handshake).
public enum CurveRole: Sendable {
    /// The bound side: proves `keys`, and admits only the clients `domain`'s policy lists (see `ZAPAuthenticator`).
    case server(CurveKeyPair, ZAPAuthenticator.Domain)
    /// The connecting side: proves `keys`, and completes the handshake only with a server holding `serverKey`.
    case client(CurveKeyPair, serverKey: CurveKey)
}

extension ZMQSocket {
    /// Changes the socket's CURVE role for the connections it makes or accepts from now on (e.g. a PUSH that
    /// connects to a worker with another key).
    public func setCurve(_ curve: CurveRole) throws(WireError) { try apply(curve) }

    /// CURVE options; the secret key is passed as its 32 raw bytes.
    func apply(_ curve: CurveRole) throws(WireError) {
        switch curve {
        case .server(let keys, let domain):
            guard domain.context == UInt(bitPattern: context.handle) else {
                throw .invalid("ZAP domain \(domain.name) belongs to another context: its handler would never be asked")
            }
            try setOption(ZMQ_CURVE_SERVER, Int32(1), "ZMQ_CURVE_SERVER")
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: keys.secretKey.bytes, "ZMQ_CURVE_SECRETKEY")
            try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.name.utf8), "ZMQ_ZAP_DOMAIN")
        case .client(let keys, let serverKey):
            try setOption(ZMQ_CURVE_SERVERKEY, bytes: serverKey.bytes, "ZMQ_CURVE_SERVERKEY")
            try setOption(ZMQ_CURVE_PUBLICKEY, bytes: keys.publicKey.bytes, "ZMQ_CURVE_PUBLICKEY")
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: keys.secretKey.bytes, "ZMQ_CURVE_SECRETKEY")
        }
    }

    func apply(_ o: ZMQSocketOptions) throws(WireError) {
        if let curve = o.curve { try apply(curve) }
        try setOption(ZMQ_LINGER, o.lingerMilliseconds, "ZMQ_LINGER")
        try setOption(ZMQ_MAXMSGSIZE, Int64(o.maxMessageSize ?? -1), "ZMQ_MAXMSGSIZE")
        if let hwm = o.sendHighWaterMark { try setOption(ZMQ_SNDHWM, hwm, "ZMQ_SNDHWM") }
        if let hwm = o.receiveHighWaterMark { try setOption(ZMQ_RCVHWM, hwm, "ZMQ_RCVHWM") }
        if type == .router { try setOption(ZMQ_ROUTER_MANDATORY, Int32(o.routerMandatory ? 1 : 0), "ZMQ_ROUTER_MANDATORY") }
        try setOption(ZMQ_IMMEDIATE, Int32(o.immediate ? 1 : 0), "ZMQ_IMMEDIATE")
        if let k = o.tcpKeepalive {
            try setOption(ZMQ_TCP_KEEPALIVE, Int32(1), "ZMQ_TCP_KEEPALIVE")
            try setOption(ZMQ_TCP_KEEPALIVE_IDLE, k.idleSeconds, "ZMQ_TCP_KEEPALIVE_IDLE")
            try setOption(ZMQ_TCP_KEEPALIVE_INTVL, k.intervalSeconds, "ZMQ_TCP_KEEPALIVE_INTVL")
            try setOption(ZMQ_TCP_KEEPALIVE_CNT, k.count, "ZMQ_TCP_KEEPALIVE_CNT")
        }
        if let id = o.routingID { try setOption(ZMQ_ROUTING_ID, bytes: id, "ZMQ_ROUTING_ID") }
    }

    /// Sets an int or int64 option (libzmq checks the size, so the type must match the option's).
    public func setOption<T: FixedWidthInteger>(_ option: Int32, _ value: T, _ name: String) throws(WireError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<T>.size) == 0 else {
            throw zmqFailure("zmq_setsockopt(\(name))")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8], _ name: String) throws(WireError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw zmqFailure("zmq_setsockopt(\(name))") }
    }

    /// ZMQ_LAST_ENDPOINT: the endpoint actually bound, e.g. "tcp://127.0.0.1:41235" after binding
    /// "tcp://127.0.0.1:*" — how tests and workers learn an OS-chosen port.
    public func lastEndpoint() throws(WireError) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size) }
        guard rc == 0 else { throw zmqFailure("zmq_getsockopt(ZMQ_LAST_ENDPOINT)") }
        let bytes = buffer.prefix(min(size, buffer.count)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
