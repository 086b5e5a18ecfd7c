import XCTest
@testable import Wire

final class ZMQTests: XCTestCase {
    func testPushPullOverLoopbackWithOSChosenPort() throws {
        let context = try ZMQContext()
        let pull = try context.socket(.pull)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        XCTAssertNotEqual(endpoint, "tcp://127.0.0.1:*")
        let push = try context.socket(.push)
        try push.connect(endpoint)
        let forward = Fixtures.forward(nTokens: 2, nEmbd: 576)
        try push.send(.forward(forward), timeout: .seconds(2))
        XCTAssertEqual(try pull.receiveMessage(timeout: .seconds(2)), .forward(forward))
    }

    func testBindToPortZeroReportsTheRealPort() throws {
        let context = try ZMQContext()
        let pull = try context.socket(.pull)
        let endpoint = try pull.bind("tcp://127.0.0.1:0")
        let port = Int(endpoint.split(separator: ":").last ?? "") ?? 0
        XCTAssertGreaterThan(port, 0, endpoint)
        XCTAssertEqual(try pull.lastEndpoint(), endpoint)
    }

    func testReceiveTimesOutWithinTheTimeout() throws {
        let context = try ZMQContext()
        let pull = try context.socket(.pull)
        try pull.bind("tcp://127.0.0.1:*")
        let (result, elapsed) = timed { Result { try pull.receive(timeout: .milliseconds(150)) } }
        XCTAssertThrowsError(try result.get()) { error in
            XCTAssertEqual(error as? WireError, .timeout(operation: "receive on pull", milliseconds: 150))
        }
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(140))
        XCTAssertLessThan(elapsed, .milliseconds(1000))
    }

    func testSendWithImmediateToAbsentPeerTimesOut() throws {
        let context = try ZMQContext()
        var options = ZMQSocketOptions()
        options.immediate = true
        let push = try context.socket(.push, options: options)
        try push.connect(try deadEndpoint(context))
        let (result, elapsed) = timed { Result { try push.send([1, 2, 3], timeout: .milliseconds(100)) } }
        XCTAssertThrowsError(try result.get()) { error in
            guard case .timeout = error as? WireError else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(elapsed, .milliseconds(1000))
    }

    func testRouterMandatoryRefusesUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        XCTAssertThrowsError(try router.send([Array("nobody".utf8), [1]], timeout: .milliseconds(100))) { error in
            XCTAssertEqual(error as? WireError, .unreachablePeer(operation: "send on router"))
        }
    }

    func testRouterRepliesToAKnownPeerAndMultipartSurvives() throws {
        let context = try ZMQContext()
        let router = try context.socket(.router)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        var options = ZMQSocketOptions()
        options.routingID = Array("stage-0".utf8)
        let dealer = try context.socket(.dealer, options: options)
        try dealer.connect(endpoint)
        try dealer.send([[1], [], [2, 3]], timeout: .seconds(2))
        let frames = try router.receive(timeout: .seconds(2))
        XCTAssertEqual(frames, [Array("stage-0".utf8), [1], [], [2, 3]])
        try router.send([frames[0], [9]], timeout: .seconds(2))
        XCTAssertEqual(try dealer.receive(timeout: .seconds(2)), [[9]])
    }

    func testTooManyFramesAreDrainedAndRefused() throws {
        let context = try ZMQContext()
        let pull = try context.socket(.pull)
        let push = try context.socket(.push)
        try push.connect(try pull.bind("tcp://127.0.0.1:*"))
        try push.send([[1], [2], [3]], timeout: .seconds(2))
        try push.send([[4]], timeout: .seconds(2))
        XCTAssertThrowsError(try pull.receive(timeout: .seconds(2), maxFrames: 2)) { error in
            guard case .badFrames = error as? WireError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try pull.receive(timeout: .seconds(2), maxFrames: 2), [[4]], "the next message is intact")
    }

    func testOversizedMessageNeverReachesTheReceiver() throws {
        let context = try ZMQContext()
        var small = ZMQSocketOptions()
        small.maxMessageSize = 1000
        let pull = try context.socket(.pull, options: small)
        let push = try context.socket(.push)
        try push.connect(try pull.bind("tcp://127.0.0.1:*"))
        try push.send([UInt8](repeating: 7, count: 5000), timeout: .seconds(1))
        XCTAssertThrowsError(try pull.receive(timeout: .milliseconds(200)))
    }

    func testPollerReportsWhichSocketIsReadable() throws {
        let context = try ZMQContext()
        let a = try context.socket(.pull), b = try context.socket(.pull)
        let pushB = try context.socket(.push)
        try a.bind("tcp://127.0.0.1:*")
        try pushB.connect(try b.bind("tcp://127.0.0.1:*"))
        XCTAssertEqual(try ZMQPoller.readable([a, b], timeout: .milliseconds(50)), [false, false])
        try pushB.send([42], timeout: .seconds(1))
        XCTAssertEqual(try ZMQPoller.readable([a, b], timeout: .seconds(2)), [false, true])
        XCTAssertEqual(try b.receive(timeout: .zero), [[42]])
    }

    func testBadEndpointIsATypedErrorWithErrnoText() throws {
        let context = try ZMQContext()
        let socket = try context.socket(.pull)
        XCTAssertThrowsError(try socket.bind("carrier-pigeon://nowhere")) { error in
            guard case .zmq(let op, _, let message) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "bind carrier-pigeon://nowhere")
            XCTAssertFalse(message.isEmpty)
        }
    }
}
