import Foundation
import TestSupport
import XCTest

/// `baton serve` refuses the example env file's old placeholder key before it opens anything.
final class APIKeyTests: XCTestCase {
    func testThePlaceholderKeyIsRefused() throws {
        let run = try BatonRun.run(["serve", "-m", "/nonexistent/model.gguf", "--workers", "tcp://127.0.0.1:9",
                                    "--port", "0", "--api-key", "change-me"], timeout: 60)
        XCTAssertTrue(run.exitedNormally, run.stderr)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("placeholder \"change-me\""), run.stderr)
    }
}
