import Foundation
import GGUF
import TestSupport
import XCTest

/// The real model cut short at every section boundary must give a GGUFError (never a crash, never success),
/// and a file cut inside its tensor data must say so, naming the bytes missing.
final class TruncationTests: XCTestCase {
    func testEveryHeaderBoundaryCutFails() throws {
        let bytes = try modelBytes()
        let full = try withParsed(bytes) { $0 }  // only header values are used after the closure
        let count = full.tensors.count
        var walker = HeaderWalker(bytes) { [0, 1, count / 2, count - 1].contains($0) }
        let dataOffset = walker.walk(alignment: full.alignment)
        XCTAssertEqual(dataOffset, full.dataOffset, "the independent walk disagrees with the parser")
        let cuts = walker.cuts.filter { $0.offset < dataOffset }
        XCTAssertGreaterThan(cuts.count, 500)
        let labels = cuts.map(\.label)
        for expected in ["inside magic", "inside version", "inside tensor count", "inside kv count",
                         "start of length of key #32", "inside type of general.quantization_version",
                         "start of length of value of tokenizer.ggml.tokens[24576]", "inside value of tokenizer.ggml.token_type[1]",
                         "start of bytes of value of tokenizer.ggml.merges[48899]", "last byte of tokenizer.ggml.merges",
                         "start of tensor #2", "start of tensor #270", "inside dim 1 of token_embd.weight",
                         "start of offset of output_norm.weight"] {
            XCTAssertTrue(labels.contains(expected), "no cut at \(expected)")
        }

        let start = Date()
        bytes.withUnsafeBytes { raw in
            for cut in cuts {
                let error = parseError(prefix: raw, cut.offset, cut.label)
                if let error { checkHeaderError(error, cutAt: cut.offset, cut.label) }
            }
        }
        print("truncation: \(cuts.count) header cuts parsed in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }

    func testCutsInsideTensorDataNameTheMissingBytes() throws {
        let bytes = try modelBytes()
        let (tensors, dataOffset) = try withParsed(bytes) { ($0.tensors, $0.dataOffset) }
        let byOffset = tensors.sorted { $0.offset < $1.offset }
        let first = try XCTUnwrap(byOffset.first), last = try XCTUnwrap(byOffset.last)
        let cuts: [(Int, String)] = [
            (dataOffset - 1, "last byte of the tensor entries / padding"),
            (dataOffset, "all tensor data missing"),
            (dataOffset + 1, "first byte of the first tensor"),
            (dataOffset + first.byteCount / 2, "inside the first tensor"),
            (dataOffset + first.byteCount, "exactly after the first tensor"),
            (bytes.count / 2, "middle of the file"),
            (dataOffset + last.offset, "all of the last tensor missing"),
            (bytes.count - 1, "last byte missing"),
        ]
        try bytes.withUnsafeBytes { raw in
            for (cut, label) in cuts {
                let dataEnd = cut - dataOffset
                guard let cutTensor = byOffset.first(where: { $0.offset + $0.byteCount > dataEnd }) else {
                    return XCTFail("no tensor is cut at \(cut) (\(label))")
                }
                let expected = GGUFError.tensorDataPastEnd(tensor: cutTensor.name, end: bytes.count, fileSize: cut)
                guard let error = parseError(prefix: raw, cut, label) else { continue }
                if cut < dataOffset {
                    XCTAssertTrue(isTruncation(error), "\(label): \(error)")
                } else {
                    XCTAssertEqual(error, expected, label)
                    assertDescription(of: error, mentions: ["truncated", "\(bytes.count - cut) bytes missing"])
                }
            }
            XCTAssertNoThrow(try GGUFFile(bytes: raw), "the whole file must parse")
        }
    }

    func testTruncatedFileOnDiskReportsMissingBytes() throws {
        let model = try RealModel.path()
        let full = try GGUFFile(path: model)
        let cut = full.dataOffset + 1000
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: model))
        defer { try? handle.close() }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: try handle.read(upToCount: cut)))
        let first = try XCTUnwrap(full.tensors.min { $0.offset < $1.offset })
        let missing = full.fileSize - cut
        assertThrows(.tensorDataPastEnd(tensor: first.name, end: full.fileSize, fileSize: cut),
                     mentioning: ["truncated", "\(missing) bytes missing", "\(full.fileSize)", first.name]) {
            try GGUFFile(path: path)
        }
    }

    func testUnopenableFiles() throws {
        let missing = "/nonexistent/dir/model.gguf"
        assertThrows(.cannotOpen(path: missing, reason: "No such file or directory"),
                     mentioning: [missing, "cannot open"]) { try GGUFFile(path: missing) }
        let directory = FileManager.default.temporaryDirectory.path
        assertThrows(.cannotOpen(path: directory, reason: "not a regular file")) { try GGUFFile(path: directory) }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: empty) }
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        assertThrows(.truncated(reading: "magic", offset: 0, needed: 4, fileSize: 0)) { try GGUFFile(path: empty) }
    }

    // MARK: - Helpers

    private func modelBytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try RealModel.path())))
    }

    /// Parses the first `count` bytes; returns the GGUFError, failing the test on success or any other error.
    private func parseError(prefix raw: UnsafeRawBufferPointer, _ count: Int, _ label: String) -> GGUFError? {
        do {
            _ = try GGUFFile(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            XCTFail("a file cut at \(count) (\(label)) parsed")
        } catch let error as GGUFError {
            return error
        } catch {
            XCTFail("cut at \(count) (\(label)): not a GGUFError: \(error)")
        }
        return nil
    }

    /// A cut header may only be reported as running out of bytes, and the numbers must say so.
    private func checkHeaderError(_ error: GGUFError, cutAt cut: Int, _ label: String) {
        switch error {
        case .truncated(_, let offset, let needed, let fileSize):
            XCTAssertEqual(fileSize, cut, label)
            XCTAssertGreaterThan(offset + needed, fileSize, label)
        case .absurdCount(_, let count, let limit):
            XCTAssertGreaterThan(count, limit, label)
        case .tensorDataPastEnd(_, let end, let fileSize):
            XCTAssertEqual(fileSize, cut, label)
            XCTAssertGreaterThan(end, fileSize, label)
        default:
            XCTFail("cut at \(cut) (\(label)) gave an error that is not about truncation: \(error)")
        }
        XCTAssertFalse(error.description.isEmpty)
    }

    private func isTruncation(_ error: GGUFError) -> Bool {
        switch error {
        case .truncated, .absurdCount, .tensorDataPastEnd: true
        default: false
        }
    }
}
