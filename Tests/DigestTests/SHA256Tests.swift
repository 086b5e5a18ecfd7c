import Digest
import Foundation
import TestSupport
import XCTest

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST CAVP examples.
    func testNISTVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (text, hex) in vectors {
            XCTAssertEqual(SHA256.hash(Array(text.utf8)).hexString, hex, text)
        }
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hash(million).hexString, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every split of a message into two updates gives the one-shot digest (padding across block edges).
    func testIncrementalUpdatesMatchOneShot() {
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300] {
            let whole = SHA256.hash(Array(message.prefix(length)))
            for split in stride(from: 0, through: length, by: 7) {
                var h = SHA256()
                h.update(Array(message.prefix(split)))
                h.update(Array(message[split..<length]))
                XCTAssertEqual(h.finalize(), whole, "length \(length) split \(split)")
            }
        }
    }

    /// The test model's digest equals what coreutils' sha256sum prints, and the throughput is reported.
    func testModelFileMatchesSha256sumAndIsFast() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let start = ContinuousClock.now
        let ours = try FileDigest.sha256(path: TestPaths.model).hexString
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        let size = try FileDigest.size(path: TestPaths.model)
        print("sha256: \(size >> 20) MiB in \(String(format: "%.2f", seconds)) s = "
              + "\(String(format: "%.0f", Double(size) / 1e6 / seconds)) MB/s")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [TestPaths.model]
        let pipe = Pipe()
        process.standardOutput = pipe
        let exit = ChildExit(process)
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(exit.wait(process, timeout: 60), "sha256sum did not exit")
        XCTAssertEqual(ours, String(output.prefix(64)))
    }

    func testRangesAndMissingFiles() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try FileDigest.sha256(path: url.path, range: 100..<5000), SHA256.hash(Array(bytes[100..<5000])))
        XCTAssertThrowsError(try FileDigest.sha256(path: url.path, range: 0..<10_001))
        XCTAssertThrowsError(try FileDigest.sha256(path: "/nonexistent/x")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x"), "\(error)")
        }
    }
}
