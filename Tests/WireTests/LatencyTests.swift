import Foundation
import XCTest
@testable import Wire

/// Measurements for the design (printed), with loose bounds so a pathological regression still fails.
/// Meaningful figures need a release build:
///   swift test -c release -Xswiftc -enable-testing --build-path .build-rel --filter WireTests.LatencyTests
final class LatencyTests: XCTestCase {
    static let nEmbd = 576  // SmolLM2-135M

    func testEncodeDecodeCost() throws {
        let oneToken = WireMessage.forward(Fixtures.forward(nTokens: 1, nEmbd: Self.nEmbd))
        let bytes = oneToken.encode()
        let encodeUS = microsecondsPerCall(20_000) { _ = oneToken.encode() }
        let decodeUS = try microsecondsPerCall(20_000) { _ = try WireMessage.decode(bytes, maxSize: 1 << 20) }
        print("[wire] Forward 1×\(Self.nEmbd) f32 (\(bytes.count) B): encode \(fmt(encodeUS)) µs, decode \(fmt(decodeUS)) µs")

        let chunk = WireMessage.forward(Fixtures.forward(nTokens: 512, nEmbd: Self.nEmbd))
        let chunkBytes = chunk.encode()
        let chunkEncodeUS = microsecondsPerCall(50) { _ = chunk.encode() }
        let chunkDecodeUS = try microsecondsPerCall(50) { _ = try WireMessage.decode(chunkBytes, maxSize: 1 << 22) }
        print("[wire] Forward 512×\(Self.nEmbd) f32 (\(chunkBytes.count) B): encode \(fmt(chunkEncodeUS)) µs, decode \(fmt(chunkDecodeUS)) µs")
        XCTAssertLessThan(encodeUS + decodeUS, 1000, "a one-token hop must not cost a millisecond of CPU")
    }

    func testEncodeDecodeDoNotLeak() throws {
        let messages = Fixtures.all + [.forward(Fixtures.forward(nTokens: 16, nEmbd: Self.nEmbd))]
        func churn() throws {
            for _ in 0..<2_000 {
                for m in messages { _ = try WireMessage.decode(m.encode(), maxSize: 1 << 20) }
            }
        }
        try churn()  // warm up allocator pools
        guard let before = residentBytes() else { throw XCTSkip("no /proc/self/statm") }
        try churn()
        let growth = (residentBytes() ?? before) - before
        // 32k round trips moving ~1.2 GB in total; a leak of even the hidden payload would be > 1 GB.
        XCTAssertLessThan(growth, 16 << 20, "RSS grew \(growth) bytes")
    }

    func testDealerRouterRoundTripLatency() throws {
        let context = try ZMQContext()
        let server = try ServerThread(context: context) { $0 }  // decode + re-encode, like a real worker
        defer { server.stop() }
        let connection = try Connection(context: context, endpoint: server.endpoint)
        let message = WireMessage.forward(Fixtures.forward(nTokens: 1, nEmbd: Self.nEmbd))
        var samples: [Duration] = []
        for i in 0..<2_200 {
            let (reply, elapsed) = try timed { try connection.request(message, timeout: .seconds(5)) }
            if i >= 200 { samples.append(elapsed) }
            if i == 0 { XCTAssertEqual(reply, message) }
        }
        let stats = LatencyStats(samples)
        print("[wire] DEALER↔ROUTER round trip, 576-float Forward over tcp loopback: \(stats)")
        XCTAssertLessThan(stats.median, 20_000)
    }

    func testPushPullRoundTripLatency() throws {
        let context = try ZMQContext()
        let clientPull = try context.socket(.pull)
        let back = try clientPull.bind("tcp://127.0.0.1:*")
        let echo = try Relay(context: context, to: back) { $0 }
        defer { echo.stop() }
        let push = try context.socket(.push)
        try push.connect(echo.endpoint)
        let message = WireMessage.forward(Fixtures.forward(nTokens: 1, nEmbd: Self.nEmbd))
        var samples: [Duration] = []
        for i in 0..<2_200 {
            let (reply, elapsed) = try timed { () throws(WireError) -> WireMessage in
                try push.send(message, timeout: .seconds(5))
                return try clientPull.receiveMessage(timeout: .seconds(5))
            }
            if i >= 200 { samples.append(elapsed) }
            if i == 0 { XCTAssertEqual(reply, message) }
        }
        let stats = LatencyStats(samples)
        print("[wire] PUSH→PULL→PUSH→PULL round trip (2 hops), 576-float Forward over tcp loopback: \(stats)")
        XCTAssertLessThan(stats.median, 20_000)
    }
}

func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
