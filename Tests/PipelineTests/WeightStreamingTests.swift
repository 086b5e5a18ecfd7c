import Coordinator
import Digest
import Foundation
import GGUF
import Llama
import TestSupport
import Wire
import Engine
import XCTest

/// Issue 6: a worker without the model file gets its stage's weights from the coordinator, caches them, and
/// loads a later time from the cache without any transfer; a damaged or partial cache entry is fetched again.
final class WeightStreamingTests: XCTestCase {
    var cluster: Cluster!
    var cacheDir = ""
    var prompt: [Int32] = []
    var expected: [Int32] = []

    override func setUp() async throws {
        cluster = try Cluster(workers: 2)
        cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        // Stage 1's worker: an empty cache and no model path, so it never reads the coordinator's file.
        try cluster.restart(1, extra: ["--cache-dir", cacheDir])
        prompt = cluster.tokenizer.encode("The capital of France is")
        expected = try await cluster.generate(try cluster.localPipeline(context: 128), prompt: prompt, maxTokens: 16)
    }

    override func tearDown() {
        cluster = nil
        try? FileManager.default.removeItem(atPath: cacheDir)
    }

    /// Bytes stage `i` of `plan` needs: the GGUF header region plus each tensor it reads.
    private func stageBytes(_ plan: StagePlan, _ i: Int) throws -> UInt64 {
        let file = cluster.file
        let tensors = try Set(plan.spec(i).tensorNames(in: file, config: cluster.config)).map { try file.tensor($0).byteCount }
        return UInt64(file.dataOffset + tensors.reduce(0, +))
    }

    private func connect(_ plan: StagePlan) async throws -> RemotePipeline {
        try await cluster.pipeline(plan, context: 128)
    }

    private func load(_ pipeline: RemotePipeline, _ i: Int) throws -> StageLoad {
        try XCTUnwrap(pipeline.stageLoads.withLock { $0[i] })
    }

    /// The one cache entry the streamed worker made (and no partial one left).
    private func entryDirectory() throws -> String {
        let entries = try Self.entryDirectories(cacheDir)
        XCTAssertEqual(entries.count, 1, "\(entries)")
        return try XCTUnwrap(entries.first)
    }

    /// The cache's entries: directories named by a 64-hex-digit manifest sha256, asserting nothing else is there.
    static func entryDirectories(_ cacheDir: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: cacheDir).sorted()
        for name in names {
            XCTAssertTrue(name.utf8.count == 64 && name.allSatisfy(\.isHexDigit), "not an entry: \(name)", file: file, line: line)
        }
        return names.map { "\(cacheDir)/\($0)" }
    }

    /// Stage fields of an entry's manifest.json.
    static func manifest(_ entry: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: entry + "/manifest.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testEmptyCacheStreamsTheStageAndARestartLoadsItFromTheCache() async throws {
        let plan = try cluster.evenPlan(2)
        let want = try stageBytes(plan, 1)
        var pipeline: RemotePipeline? = try await connect(plan)
        let first = try load(try XCTUnwrap(pipeline), 1)
        XCTAssertEqual(first.bytesStreamed, want, "header + stage 1's tensors")
        XCTAssertEqual(first.transfer?.regions, 1 + Set(plan.spec(1).tensorNames(in: cluster.file, config: cluster.config)).count,
                       "the header and one region per tensor")
        XCTAssertEqual(try load(try XCTUnwrap(pipeline), 0).bytesStreamed, 0, "stage 0 has the model file")
        print("streamed \(want >> 20) MiB at \(Int(first.transfer?.megabytesPerSecond ?? 0)) MB/s")
        let health = try await XCTUnwrap(pipeline).stageHealth()[1]
        XCTAssertEqual(health.weightBytesReceived, want)
        var got = try await cluster.generate(try XCTUnwrap(pipeline), prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected, "streamed stage")

        let entry = try entryDirectory()
        XCTAssertEqual(try Self.entryDirectories(cacheDir).count, 1)
        let manifest = try Self.manifest(entry)
        XCTAssertEqual(manifest["layerBegin"] as? Int, 15)
        XCTAssertEqual(manifest["layerEnd"] as? Int, 30)
        XCTAssertEqual(manifest["isLast"] as? Bool, true)
        XCTAssertEqual(manifest["modelSHA256"] as? String, try FileDigest.sha256(path: TestPaths.model).hexString)
        let mode = try FileManager.default.attributesOfItem(atPath: entry + "/model.gguf")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600, "the cached weights are the worker's user's alone")
        XCTAssertEqual(try FileDigest.size(path: entry + "/model.gguf"), try FileDigest.size(path: TestPaths.model))
        XCTAssertTrue(FileManager.default.fileExists(atPath: entry + "/manifest.json"))

        pipeline = nil
        try cluster.restart(1)
        pipeline = try await connect(plan)
        let second = try load(try XCTUnwrap(pipeline), 1)
        XCTAssertEqual(second.bytesStreamed, 0, "loaded from the cache")
        XCTAssertTrue(second.fromCache)
        let after = try await XCTUnwrap(pipeline).stageHealth()[1]
        XCTAssertEqual(after.weightBytesReceived, 0)
        XCTAssertEqual(after.weightBytesFromCache, want)
        got = try await cluster.generate(try XCTUnwrap(pipeline), prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected, "stage loaded from the cache")
    }

    func testAFlippedByteInTheCacheIsDetectedAndFetchedAgain() async throws {
        let plan = try cluster.evenPlan(2)
        let want = try stageBytes(plan, 1)
        _ = try await connect(plan)
        let entry = try entryDirectory()
        // One byte in the middle of a tensor of stage 1.
        let tensor = try cluster.file.tensor("blk.20.ffn_down.weight")
        let offset = UInt64(cluster.file.fileRange(of: tensor).lowerBound + tensor.byteCount / 2)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: entry + "/model.gguf"))
        try handle.seek(toOffset: offset)
        let original = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: offset)
        handle.write(Data([original ^ 0x10]))
        try handle.close()

        try cluster.restart(1)
        let pipeline = try await connect(plan)
        XCTAssertEqual(try load(pipeline, 1).bytesStreamed, want, "the corrupt entry was fetched again")
        XCTAssertNotNil(try load(pipeline, 1).transfer)
        let repaired = try XCTUnwrap(FileHandle(forReadingAtPath: entry + "/model.gguf"))
        try repaired.seek(toOffset: offset)
        XCTAssertEqual(try repaired.readData(ofLength: 1).first, original)
        try repaired.close()
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected)
    }

    func testAPartialEntryIsFetchedAgain() async throws {
        let plan = try cluster.evenPlan(2)
        _ = try await connect(plan)
        try FileManager.default.removeItem(atPath: try entryDirectory() + "/manifest.json")
        try cluster.restart(1)
        let pipeline = try await connect(plan)
        XCTAssertEqual(try load(pipeline, 1).bytesStreamed, try stageBytes(plan, 1))
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected)
    }

    /// Chunks without an offer, outside the offered region, or with a wrong sha256 get typed errors; the worker
    /// then streams and serves normally.
    func testBadTransfersAreRefusedAndTheWorkerServesOn() async throws {
        let raw = try Connection(context: try ZMQContext(), endpoint: cluster.workers[1].controlEndpoint)
        _ = try raw.hello(peerID: "test", timeout: .seconds(2))
        func error(_ message: WireMessage) -> ErrorMessage? {
            do { _ = try raw.request(message, timeout: .seconds(10)); return nil } catch {
                if case .remote(let e) = error { return e }
                return ErrorMessage(code: .unknown, message: "\(error)")
            }
        }
        let noOffer = error(.weightChunk(WeightChunk(fileOffset: 0, data: [1, 2, 3])))
        XCTAssertEqual(noOffer?.code, .badRequest)
        XCTAssertTrue(noOffer?.message.contains("WeightOffer") ?? false, noOffer?.message ?? "")

        let file = cluster.file
        let header = UInt64(file.dataOffset)
        let offer = WeightOffer(
            modelSHA256: try FileDigest.sha256(path: TestPaths.model).hexString, fileSize: UInt64(file.fileSize),
            layerBegin: 15, layerEnd: 30, isFirst: false, isLast: true,
            regions: [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: header)], maxChunkBytes: 8 << 20)
        XCTAssertNil(error(.weightOffer(offer)))
        let outside = error(.weightChunk(WeightChunk(fileOffset: header + 100, data: [1])))
        XCTAssertEqual(outside?.code, .badRequest)
        XCTAssertTrue(outside?.message.contains("offset") ?? false, outside?.message ?? "")

        XCTAssertNil(error(.weightOffer(offer)))
        let bytes = try Array(XCTUnwrap(FileHandle(forReadingAtPath: TestPaths.model)).readData(ofLength: Int(header)))
        var wrongSHA = SHA256.hash(bytes)
        wrongSHA[0] ^= 1
        let mismatch = error(.weightChunk(WeightChunk(fileOffset: 0, data: bytes, regionSHA256: wrongSHA)))
        XCTAssertEqual(mismatch?.code, .loadFailed)
        XCTAssertTrue(mismatch?.message.contains(WeightRegion.headerName) ?? false, mismatch?.message ?? "")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cacheDir), [], "the refused transfer left no entry")

        let pipeline = try await connect(try cluster.evenPlan(2))
        XCTAssertEqual(try load(pipeline, 1).bytesStreamed, try stageBytes(try cluster.evenPlan(2), 1))
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected)
    }

    func testAnUnwritableCacheDirAndAMissingCoordinatorModelAreReportedClearly() async throws {
        // A regular file where the cache directory should be: nothing can be created under it (even as root).
        let blocker = cacheDir + "/not-a-directory"
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        try cluster.restart(1, extra: ["--cache-dir", blocker + "/cache"])
        let plan = try cluster.evenPlan(2)
        await assertThrowsAsync(try await connect(plan)) { error in
            XCTAssertTrue("\(error)".contains("stage 1") && "\(error)".contains("not-a-directory/cache"), "\(error)")
        }
        await assertThrowsAsync(try await cluster.pipeline(plan, context: 128) { $0.modelPath = "/nonexistent/model.gguf" }) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model.gguf"), "\(error)")
        }
        // The worker is still up and answers.
        try cluster.restart(1, extra: ["--cache-dir", cacheDir])
        let pipeline = try await connect(plan)
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 16)
        XCTAssertEqual(got, expected)
    }
}
