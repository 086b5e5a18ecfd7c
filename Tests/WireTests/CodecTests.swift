import CBatonProto
import CProtobufC
import Sampling
import XCTest
@testable import Wire

final class CodecTests: XCTestCase {
    func testEveryMessageRoundTrips() throws {
        for (i, message) in Fixtures.all.enumerated() {
            let envelope = Envelope(requestID: UInt64(i) * 1_000_003 + 1, message: message)
            let bytes = envelope.encode()
            let decoded = try Envelope.decode(bytes, maxSize: 1 << 20)
            XCTAssertEqual(decoded, envelope, "\(message.kind)")
            // The raw-buffer entry point must agree with the array one.
            let viaRaw = try bytes.withUnsafeBytes { try WireMessage.decode($0, maxSize: 1 << 20) }
            XCTAssertEqual(viaRaw, message, "\(message.kind)")
        }
    }

    func testEveryEnvelopeCaseIsCovered() {
        // One fixture kind per member of the Envelope's oneof, counted from the generated descriptor: a message
        // added to proto/ without a fixture fails here.
        let descriptor = baton__v1__envelope__descriptor
        let fields = UnsafeBufferPointer(start: descriptor.fields, count: Int(descriptor.n_fields))
        let cases = fields.filter { $0.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 }.count
        XCTAssertGreaterThan(cases, 0)
        XCTAssertEqual(Set(Fixtures.all.map(\.kind).map { $0.hasPrefix("Error") ? "Error" : $0 }).count, cases)
    }

    func testHiddenStatesAreBitExactAndCompact() throws {
        let forward = Fixtures.forward(nTokens: 3, nEmbd: 576)
        var withNaN = forward
        withNaN.hidden?.values[5] = Float(bitPattern: 0x7FC0_1234)  // NaN with payload
        withNaN.hidden?.values[6] = -0.0
        withNaN.hidden?.values[7] = Float(bitPattern: 0x0000_0001)  // smallest subnormal
        let bytes = WireMessage.forward(withNaN).encode()
        // memcpy'd payload: 4 bytes per float plus a few dozen bytes of framing.
        XCTAssertLessThan(bytes.count, 3 * 576 * 4 + 64)
        guard case .forward(let back) = try WireMessage.decode(bytes, maxSize: 1 << 20) else {
            return XCTFail("not a Forward")
        }
        let sent = try XCTUnwrap(withNaN.hidden?.values).map(\.bitPattern)
        let received = try XCTUnwrap(back.hidden?.values).map(\.bitPattern)
        XCTAssertEqual(received, sent)
        XCTAssertEqual(back.hidden?.nTokens, 3)
    }

    func testWeightChunksAreCompactAndTheirShaLengthIsChecked() throws {
        let data = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let chunk = WeightChunk(fileOffset: 1 << 33, data: data, regionSHA256: [UInt8](repeating: 0xA5, count: 32))
        let bytes = Envelope(requestID: 9, message: .weightChunk(chunk)).encode()
        XCTAssertLessThan(bytes.count, data.count + 64, "chunk bytes travel as one bytes field")
        XCTAssertEqual(try Envelope.decode(bytes, maxSize: 4 << 20).message, .weightChunk(chunk))
        let bad = WireMessage.weightChunk(WeightChunk(fileOffset: 0, data: [1], regionSHA256: [1, 2, 3])).encode()
        XCTAssertThrowsError(try WireMessage.decode(bad, maxSize: 1 << 20)) { error in
            guard case .invalid(let why) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("region_sha256"), why)
        }
    }

    func testMalformedBytesAreATypedError() {
        let valid = Envelope(requestID: 5, message: Fixtures.all[2]).encode()
        let cases: [(String, [UInt8])] = [
            ("garbage", Array("GET / HTTP/1.1\r\n\r\n".utf8)),
            ("truncated", Array(valid.dropLast(7))),
            ("bad varint", [0x08] + [UInt8](repeating: 0xFF, count: 11)),
            ("length past end", [0xA2, 0x01, 0x7F, 0x08]),
            ("group wire type", [0x0B, 0x0C]),
        ]
        for (name, bytes) in cases {
            XCTAssertThrowsError(try Envelope.decode(bytes, maxSize: 1 << 20), name) { error in
                XCTAssertEqual(error as? WireError, .malformed(size: bytes.count), name)
            }
        }
    }

    func testRandomCorruptionNeverCrashes() throws {
        var rng = SplitMix64(seed: 0xBA70)
        var outcomes = (ok: 0, failed: 0)
        for message in Fixtures.all {
            let bytes = message.encode()
            for _ in 0..<300 {
                var corrupt = bytes
                for _ in 0...(rng.next() % 4) where !corrupt.isEmpty {
                    corrupt[Int(rng.next() % UInt64(corrupt.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { corrupt = Array(corrupt.prefix(Int(rng.next() % UInt64(corrupt.count + 1)))) }
                do {
                    _ = try Envelope.decode(corrupt, maxSize: 1 << 20)
                    outcomes.ok += 1
                } catch {
                    outcomes.failed += 1  // typed, by the signature; reaching here means no trap
                }
            }
        }
        XCTAssertGreaterThan(outcomes.failed, 0)
        XCTAssertGreaterThan(outcomes.ok, 0)
    }

    func testOversizedIsRefusedBeforeUnpacking() {
        let bytes = WireMessage.forward(Fixtures.forward(nTokens: 4, nEmbd: 64)).encode()
        XCTAssertThrowsError(try Envelope.decode(bytes, maxSize: bytes.count - 1)) { error in
            XCTAssertEqual(error as? WireError, .tooLarge(size: bytes.count, limit: bytes.count - 1))
        }
        // Garbage above the limit is reported as too large: it was never parsed.
        let garbage = [UInt8](repeating: 0xFF, count: 100)
        XCTAssertThrowsError(try WireMessage.decode(garbage, maxSize: 99)) { error in
            XCTAssertEqual(error as? WireError, .tooLarge(size: 100, limit: 99))
        }
        XCTAssertNoThrow(try Envelope.decode(bytes, maxSize: bytes.count))
    }

    func testHiddenStatesOfTheWrongSizeAreInvalid() {
        var forward = Fixtures.forward(nTokens: 2, nEmbd: 8)
        forward.tokens.append(3)  // 3 tokens but 2 × 8 floats
        XCTAssertThrowsError(try WireMessage.decode(WireMessage.forward(forward).encode(), maxSize: 1 << 20)) { error in
            guard case .invalid(let why) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("expected 4 × 3 tokens × 8 n_embd"), why)
        }
        forward.hidden = HiddenStates(nEmbd: 0, values: [])
        XCTAssertThrowsError(try WireMessage.decode(WireMessage.forward(forward).encode(), maxSize: 1 << 20))
    }

    func testEnvelopesWithoutAKnownBodyAreInvalid() {
        // Empty input, and field 45 (reserved for weight streaming: what a newer peer might send).
        for bytes: [UInt8] in [[], [0xEA, 0x02, 0x00], [0x08, 0x05]] {
            XCTAssertThrowsError(try Envelope.decode(bytes, maxSize: 100)) { error in
                guard case .invalid = error as? WireError else { return XCTFail("\(bytes): \(error)") }
            }
        }
    }

    func testUnknownEnumValuesDegradeInsteadOfFailing() throws {
        // Envelope.error (field 20) = Error{code: 99}; HelloReply.capabilities = [1, 77] (packed).
        let error = try Envelope.decode([0xA2, 0x01, 0x02, 0x08, 0x63], maxSize: 100)
        XCTAssertEqual(error.message, .error(ErrorMessage(code: .unknown, message: "")))
        let reply = try WireMessage.decode([0x5A, 0x04, 0x3A, 0x02, 0x01, 0x4D], maxSize: 100)
        guard case .helloReply(let r) = reply else { return XCTFail("\(reply)") }
        XCTAssertEqual(r.capabilities, [.kvF16])
    }

    func testVersionConstantsComeFromTheSchema() {
        XCTAssertEqual(ProtocolVersion.current, ProtocolVersion(major: 1, minor: 5))
        XCTAssertNil(ProtocolVersion.current.refusal(talkingTo: .init(major: 1, minor: 9), localRole: .worker, remoteRole: .coordinator))
        let text = ProtocolVersion(major: 1, minor: 0).refusal(talkingTo: .init(major: 2, minor: 0), localRole: .worker, remoteRole: .coordinator)
        XCTAssertEqual(text, "protocol version mismatch: this worker speaks 1.0, the coordinator speaks 2.0; majors differ, so upgrade the worker to the coordinator's Baton version")
    }
}

