import CZMQ

/// Waits on several sockets at once — how a process serves its control ROUTER and data PULL from one
/// thread without blocking on either.
public enum ZMQPoller {
    /// For each socket, whether a message can be received now. Waits at most `timeout` for at least
    /// one; all false means the timeout passed.
    public static func readable(_ sockets: [ZMQSocket], timeout: Duration) throws(WireError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let remaining = (deadline - clock.now).wholeMilliseconds
            let rc = zmq_poll(&items, Int32(items.count), remaining)
            if rc >= 0 { return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 } }
            guard zmq_errno() == EINTR else { throw zmqFailure("zmq_poll") }
        }
    }
}
