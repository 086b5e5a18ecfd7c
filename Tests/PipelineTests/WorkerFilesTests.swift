import Foundation
import TestSupport
import Wire
@testable import Worker
import XCTest

/// Issue 15: what a peer can make a worker open, and how much disk its weight cache may take.
final class WorkerFilesTests: XCTestCase {
    /// A model path from the wire is opened only if it is a regular `.gguf` file (inside `--model-dir` when
    /// given), and a refusal tells nothing of the file's bytes; the worker then loads a legitimate stage.
    func testModelPathsFromThePeerAreConfinedAndNeverEcho() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("baton-paths-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let secret = scratch.appendingPathComponent("secret.txt").path
        try Data("TOPSECRET-bytes".utf8).write(to: URL(fileURLWithPath: secret))
        let disguised = scratch.appendingPathComponent("secret.gguf").path
        try FileManager.default.createSymbolicLink(atPath: disguised, withDestinationPath: secret)
        let models = URL(fileURLWithPath: TestPaths.model).deletingLastPathComponent().path

        let open = try WorkerProcess()
        let confined = try WorkerProcess(extra: ["--model-dir", models])
        for (worker, path, why) in [(open, secret, "not a regular .gguf file"), (open, disguised, "not a regular .gguf file"),
                                    (confined, secret, "outside --model-dir"), (confined, "\(models)/../../etc/passwd", "outside --model-dir")] {
            let reply = try load(path, on: worker)
            guard case .error(let error) = reply else { XCTFail("\(path) was opened: \(reply)"); continue }
            XCTAssertTrue(error.message.contains(why), error.message)
            XCTAssertFalse(error.message.contains("TOPSECRET") || error.message.contains("0x"), error.message)
        }
        guard case .loadStageReply = try load(TestPaths.model, on: confined) else {
            return XCTFail("the model inside --model-dir did not load")
        }
    }

    /// Past `--cache-max-gb` the least recently used entries go (never the one just sealed), and a stage larger
    /// than the whole cache is refused before anything is written.
    func testTheCacheEvictsTheLeastRecentlyUsedEntriesPastItsLimit() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("baton-lru-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = WeightCache(root: root, limitBytes: 5 << 19)   // 2.5 MiB
        var names: [String] = []
        for age in 0..<3 {
            let name = String(repeating: "\(age)", count: 64)
            let directory = "\(root)/\(name)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(count: 1 << 20).write(to: URL(fileURLWithPath: directory + "/model.gguf"))
            try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
            var times = [timeval(tv_sec: 1_000_000 + age * 100, tv_usec: 0), timeval(tv_sec: 1_000_000 + age * 100, tv_usec: 0)]
            XCTAssertEqual(utimes(directory + "/manifest.json", &times), 0)
            names.append(directory)
        }
        XCTAssertEqual(cache.entries().count, 3)
        XCTAssertEqual(cache.evict(keeping: names[0]), [names[1]], "the oldest but the kept one goes; 2 MiB then fit")
        XCTAssertEqual(Set(cache.entries().map(\.directory)), [names[0], names[2]])

        let receiver = WeightReceiver(cache: cache, logger: .init(label: "test"))
        let offer = WeightOffer(modelSHA256: String(repeating: "ab", count: 32), fileSize: 8 << 20, layerBegin: 0, layerEnd: 1,
                                isFirst: true, isLast: false,
                                regions: [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: 3 << 20)],
                                maxChunkBytes: 1 << 20)
        guard case .error(let error) = receiver.handle(.weightOffer(offer)) else { return XCTFail("a 3 MiB stage was accepted") }
        XCTAssertEqual(error.code, .resourceExhausted)
        XCTAssertTrue(error.message.contains("--cache-max-gb"), error.message)
    }

    /// Hello, then LoadStage of the whole model at `path`, from a peer speaking the real protocol.
    private func load(_ path: String, on worker: WorkerProcess) throws -> WireMessage {
        let connection = try Connection(context: try ZMQContext(), endpoint: worker.controlEndpoint)
        _ = try connection.hello(peerID: "peer", timeout: .seconds(5))
        let request = LoadStage(modelPath: path, modelSHA256: "", layerBegin: 0, layerEnd: 30, isFirst: true, isLast: true,
                                contextLength: 64, kvType: .f16, maxSessions: 1, nextHop: "tcp://127.0.0.1:9",
                                stageIndex: 0, stageCount: 1)
        do { return try connection.request(.loadStage(request), timeout: .seconds(30)) } catch .remote(let error) {
            return .error(error)
        }
    }
}
