import Foundation
import XCTest
@testable import Wire

/// CURVE keys, key files, the ZAP handler and the bind rule, in one process (the multi-process attacks are in
/// PipelineTests/SecurityTests).
final class CurveTests: XCTestCase {
    func testKeysRoundTripBetweenZ85AndBytesAndBadKeysAreRefused() throws {
        XCTAssertTrue(Curve.isAvailable, "Debian's libzmq has CURVE; the rest of these tests need it")
        let pair = try CurveKeyPair.generate()
        XCTAssertEqual(try CurveKey(bytes: pair.publicKey.bytes), pair.publicKey)
        XCTAssertEqual(try CurveKeyPair(secretKey: pair.secretKey).publicKey, pair.publicKey)
        XCTAssertFalse("\(pair)".contains(pair.secretKey.z85), "a key pair must not print its secret")
        XCTAssertThrowsError(try CurveKey(z85: "short"))
        XCTAssertThrowsError(try CurveKey(z85: String(repeating: "~", count: 40)), "~ is not Z85")
        XCTAssertThrowsError(try CurveKey(bytes: [1, 2, 3]))
    }

    func testKeygenFilesAreReadBackAndAGroupReadableSecretIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-curve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("node.key").path
        let pair = try KeyFiles.generate(secretPath: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        XCTAssertEqual(try KeyFiles.readSecret(path).publicKey, pair.publicKey)
        XCTAssertEqual(try KeyFiles.readPublic(path + ".pub"), pair.publicKey)
        XCTAssertThrowsError(try KeyFiles.generate(secretPath: path), "an existing identity is not replaced silently")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        XCTAssertThrowsError(try KeyFiles.readSecret(path)) { XCTAssertTrue("\($0)".contains("chmod 600"), "\($0)") }

        let other = try CurveKeyPair.generate()
        let authorized = dir.appendingPathComponent("authorized").path
        try "# coordinators\n\n\(pair.publicKey.z85) first\n\(other.publicKey.z85)\n".write(toFile: authorized, atomically: true, encoding: .utf8)
        XCTAssertEqual(try KeyFiles.readAuthorizedKeys(authorized), [pair.publicKey, other.publicKey])
        try "# nobody\n".write(toFile: authorized, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KeyFiles.readAuthorizedKeys(authorized), "an empty list would admit nobody: say so")
        try "\(pair.publicKey.z85)\nnot-a-key\n".write(toFile: authorized, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try KeyFiles.readAuthorizedKeys(authorized)) { XCTAssertTrue("\($0)".contains("line 2"), "\($0)") }

        let known = dir.appendingPathComponent("known").path
        try "tcp://10.0.0.2:7101 \(pair.publicKey.z85)\n".write(toFile: known, atomically: true, encoding: .utf8)
        XCTAssertEqual(try KeyFiles.readKnownWorkers(known), ["tcp://10.0.0.2:7101": pair.publicKey])
        let split = try KeyFiles.splitPinned("tcp://10.0.0.2:7101#\(pair.publicKey.z85)")
        XCTAssertEqual(split.endpoint, "tcp://10.0.0.2:7101")
        XCTAssertEqual(split.key, pair.publicKey)
    }

    func testZAPAdmitsOnlyListedClientsAndNamesThemOnEachMessage() throws {
        let context = try ZMQContext()
        let authenticator = try ZAPAuthenticator(context: context)
        let server = try CurveKeyPair.generate(), friend = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        var options = ZMQSocketOptions()
        let domain = authenticator.domain("test", allowing: [friend.publicKey])
        options.curve = .server(server, domain)
        let pull = try context.socket(.pull, options: options)
        let endpoint = try pull.bind("tcp://127.0.0.1:*")
        // Clients in a context of their own, as a separate process would be.
        let clients = try ZMQContext()
        var holder: [ZMQSocket] = []
        func push(_ pair: CurveKeyPair?, _ text: String) throws {
            var o = ZMQSocketOptions()
            if let pair { o.curve = .client(pair, serverKey: server.publicKey) }
            let socket = try clients.socket(.push, options: o)
            try socket.connect(endpoint)
            try socket.send(Array(text.utf8), timeout: .seconds(1))
            holder.append(socket)
        }
        try push(stranger, "from the stranger")
        try push(nil, "without CURVE")
        try push(friend, "from the friend")
        var sender: String?
        let frames = try pull.receive(timeout: .seconds(3), sender: &sender)
        XCTAssertEqual(frames, [Array("from the friend".utf8)])
        XCTAssertEqual(sender, friend.publicKey.z85, "User-Id is the client's public key")
        XCTAssertThrowsError(try pull.receive(timeout: .milliseconds(300)), "a refused client's message arrived")
        // Replacing the policy admits new handshakes from the stranger.
        authenticator.allow(domain, keys: [stranger.publicKey])
        try push(stranger, "admitted now")
        XCTAssertEqual(try pull.receive(timeout: .seconds(3), sender: &sender), [Array("admitted now".utf8)])
        XCTAssertEqual(sender, stranger.publicKey.z85)
        authenticator.stop()
    }

    func testControlRequestsNameTheirSendersKey() throws {
        let context = try ZMQContext()
        let authenticator = try ZAPAuthenticator(context: context)
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        var options = ZMQSocketOptions()
        options.curve = .server(server, authenticator.domain("control", allowing: [client.publicKey]))
        let control = try ControlServer(context: context, bindTo: "tcp://127.0.0.1:*", options: options)
        var dealer = ZMQSocketOptions.control
        dealer.curve = .client(client, serverKey: server.publicKey)
        let connection = try Connection(context: try ZMQContext(), endpoint: control.endpoint, options: dealer)
        _ = try connection.send(.health, timeout: .seconds(2))
        // The ROUTER's routing-id frame has no metadata: the key must come from the payload frame.
        let request = try XCTUnwrap(try control.receiveRequest(timeout: .seconds(3)))
        XCTAssertEqual(request.sender, client.publicKey.z85)
        authenticator.stop()
    }

    func testServerSocketsNeedAHandlerOfTheirOwnContext() throws {
        let a = try ZMQContext(), b = try ZMQContext()
        let authenticator = try ZAPAuthenticator(context: a)
        var options = ZMQSocketOptions()
        options.curve = .server(try CurveKeyPair.generate(), authenticator.domain("x", allowing: []))
        XCTAssertThrowsError(try b.socket(.pull, options: options), "a domain of another context would never be asked")
        authenticator.stop()
    }

    func testReachableBindsNeedKeysUnlessInsecure() throws {
        for local in ["tcp://127.0.0.1:7101", "tcp://localhost:1", "tcp://[::1]:7101", "ipc:///tmp/x", "inproc://y"] {
            XCTAssertNoThrow(try BindPolicy.check(local, what: "it", hasKeys: false, insecure: false), local)
        }
        for reachable in ["tcp://0.0.0.0:7101", "tcp://*:7101", "tcp://10.0.0.2:7101", "tcp://[::]:7101"] {
            XCTAssertThrowsError(try BindPolicy.check(reachable, what: "it", hasKeys: false, insecure: false), reachable) {
                XCTAssertTrue("\($0)".contains("baton keygen"), "\($0)")
            }
            XCTAssertNoThrow(try BindPolicy.check(reachable, what: "it", hasKeys: true, insecure: false))
            XCTAssertNoThrow(try BindPolicy.check(reachable, what: "it", hasKeys: false, insecure: true))
        }
    }
}
