import XCTest
@testable import Wire

final class ConnectionTests: XCTestCase {
    /// A worker-like handler: answers Hello through Handshake, Health with a fixed reply, echoes the rest.
    static func worker(version: ProtocolVersion = .current) -> @Sendable (WireMessage) -> WireMessage {
        { message in
            switch message {
            case .hello(let hello):
                Handshake.answer(hello, local: version) {
                    HelloReply(workerID: "w", threads: 2, freeMemoryBytes: 1, totalMemoryBytes: 2,
                               capabilities: [.kvF32], dataEndpoint: "tcp://127.0.0.1:1")
                }
            case .health: .healthReply(Fixtures.healthReply)
            case .closeSession(let c): .error(ErrorMessage(code: .unknownSession, message: "no session \(c.sessionID)"))
            default: message
            }
        }
    }

    func testRequestReplyAndHandshake() throws {
        let context = try ZMQContext()
        let server = try ServerThread(context: context, handler: Self.worker())
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        let hello = try connection.hello(peerID: "coord", timeout: .seconds(5))
        XCTAssertEqual(hello.version, .current)
        XCTAssertEqual(hello.capabilities, [.kvF32])
        XCTAssertEqual(try connection.request(.health, timeout: .seconds(5)), .healthReply(Fixtures.healthReply))
        for message in Fixtures.all where message.kind.hasPrefix("Forward") || message.kind == "LoadStage" {
            XCTAssertEqual(try connection.request(message, timeout: .seconds(5)), message)
        }
    }

    func testErrorReplyIsThrownAsRemote() throws {
        let context = try ZMQContext()
        let server = try ServerThread(context: context, handler: Self.worker())
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        XCTAssertThrowsError(try connection.request(.closeSession(CloseSession(sessionID: 3)), timeout: .seconds(5))) { error in
            XCTAssertEqual(error as? WireError, .remote(ErrorMessage(code: .unknownSession, message: "no session 3")))
        }
    }

    func testRequestToAbsentPeerTimesOutWithinTheTimeout() throws {
        let context = try ZMQContext()
        let connection = try Connection(context: context, endpoint: try deadEndpoint(context))
        let (result, elapsed) = timed { Result { try connection.request(.health, timeout: .milliseconds(300)) } }
        XCTAssertThrowsError(try result.get()) { error in
            guard case .timeout = error as? WireError else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(elapsed, .milliseconds(300) + .milliseconds(250))
    }

    func testRequestToSilentPeerTimesOutAndLateReplyIsDropped() throws {
        let context = try ZMQContext()
        // Answers the first request after 400 ms, the rest at once.
        let calls = StopFlag()
        let server = try ServerThread(context: context) { message in
            if !calls.isSet {
                calls.set()
                Thread.sleep(forTimeInterval: 0.4)
            }
            return message
        }
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        let first = CloseSession(sessionID: 1), second = CloseSession(sessionID: 2)
        let (result, elapsed) = timed { Result { try connection.request(.closeSession(first), timeout: .milliseconds(150)) } }
        XCTAssertThrowsError(try result.get())
        XCTAssertLessThan(elapsed, .milliseconds(350))
        // The first reply arrives during this request and must not be taken for its answer.
        XCTAssertEqual(try connection.request(.closeSession(second), timeout: .seconds(5)), .closeSession(second))
    }

    func testServerSurvivesGarbageAndKeepsServing() throws {
        let context = try ZMQContext()
        let server = try ServerThread(context: context, handler: Self.worker())
        defer { server.stop() }
        let raw = try context.socket(.dealer)
        try raw.connect(server.endpoint)
        for garbage: [[UInt8]] in [[Array("\u{0}\u{1}not protobuf".utf8)], [[0x08]], [[1], [2]]] {
            try raw.send(garbage, timeout: .seconds(2))
            let reply = try raw.receiveEnvelope(timeout: .seconds(5))
            guard case .error(let e) = reply.message else { return XCTFail("\(reply)") }
            XCTAssertEqual(e.code, .badRequest, e.message)
        }
        try raw.send(.health, requestID: 99, timeout: .seconds(2))
        XCTAssertEqual(try raw.receiveEnvelope(timeout: .seconds(5)), Envelope(requestID: 99, message: .healthReply(Fixtures.healthReply)))
        // A Connection on the same server still works too.
        let connection = try Connection(context: context, endpoint: server.endpoint)
        XCTAssertEqual(try connection.request(.health, timeout: .seconds(5)), .healthReply(Fixtures.healthReply))
    }

    func testNewerCoordinatorIsRefusedByOlderWorker() throws {
        let context = try ZMQContext()
        let server = try ServerThread(context: context, handler: Self.worker())
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        let newer = ProtocolVersion(major: ProtocolVersion.current.major + 1, minor: 0)
        XCTAssertThrowsError(try connection.hello(peerID: "c", version: newer, timeout: .seconds(5))) { error in
            XCTAssertEqual(error as? WireError, .versionMismatch(
                "protocol version mismatch: this worker speaks \(ProtocolVersion.current), the coordinator speaks \(newer); "
                + "majors differ, so upgrade the worker to the coordinator's Baton version"))
        }
    }

    func testNewerWorkerIsRefusedByOlderCoordinator() throws {
        let context = try ZMQContext()
        // A worker that (wrongly) answers any major: the coordinator must still refuse.
        let newer = ProtocolVersion(major: ProtocolVersion.current.major + 1, minor: 4)
        let server = try ServerThread(context: context) { _ in
            .helloReply(HelloReply(version: newer, workerID: "w", threads: 1, freeMemoryBytes: 0,
                                   totalMemoryBytes: 0, capabilities: [], dataEndpoint: ""))
        }
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        XCTAssertThrowsError(try connection.hello(peerID: "c", timeout: .seconds(5))) { error in
            XCTAssertEqual(error as? WireError, .versionMismatch(
                "protocol version mismatch: this coordinator speaks \(ProtocolVersion.current), the worker speaks \(newer); "
                + "majors differ, so upgrade the coordinator to the worker's Baton version"))
        }
    }

    func testMinorDifferenceIsAccepted() throws {
        let context = try ZMQContext()
        let later = ProtocolVersion(major: ProtocolVersion.current.major, minor: ProtocolVersion.current.minor + 3)
        let server = try ServerThread(context: context, handler: Self.worker(version: later))
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        XCTAssertEqual(try connection.hello(peerID: "c", timeout: .seconds(5)).version, later)
    }
}
