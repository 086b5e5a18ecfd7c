import Coordinator
import Digest
import Foundation
import GGUF
import TestSupport
import Wire
import XCTest

/// Issue 15, acceptance 3: a poisoned cache entry is never loaded, and a legitimate coordinator re-streams and
/// generates correctly. Two ways in: a peer that streams self-consistent altered weights under the real model's
/// sha256 (over the real protocol), and an entry edited on disk together with its manifest's region hashes.
final class CachePoisoningTests: XCTestCase {
    var cluster: Cluster!
    var cacheDir = ""
    var expected: [Int32] = []
    let prompt = "The capital of France is"

    override func setUp() async throws {
        cluster = try Cluster(workers: 2)
        cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent("baton-poison-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        try cluster.restart(1, extra: ["--cache-dir", cacheDir])   // stage 1 always loads from its cache
        expected = try await cluster.generate(try cluster.localPipeline(context: 128), prompt: cluster.tokenizer.encode(prompt),
                                              maxTokens: 16)
    }

    override func tearDown() {
        cluster = nil
        try? FileManager.default.removeItem(atPath: cacheDir)
    }

    func testWeightsStreamedByAnAttackerUnderTheRealModelHashAreNeverLoaded() async throws {
        let plan = try cluster.evenPlan(2)
        try streamAlteredStage(plan, endpoint: cluster.workers[1].controlEndpoint)
        XCTAssertEqual(try WeightStreamingTests.entryDirectories(cacheDir).count, 1, "the attacker's entry was sealed")

        let pipeline = try await cluster.pipeline(plan, context: 128)
        let load = try XCTUnwrap(pipeline.stageLoads.withLock { $0[1] })
        XCTAssertGreaterThan(load.bytesStreamed, 0, "the poisoned entry is not the one the coordinator names: the real weights were streamed")
        XCTAssertEqual(try WeightStreamingTests.entryDirectories(cacheDir).count, 2, "the real entry sits beside the poisoned one")
        let got = try await cluster.generate(pipeline, prompt: cluster.tokenizer.encode(prompt), maxTokens: 16)
        XCTAssertEqual(got, expected)
    }

    func testAnEntryEditedOnDiskWithItsManifestIsRefusedAndFetchedAgain() async throws {
        let plan = try cluster.evenPlan(2)
        _ = try await cluster.pipeline(plan, context: 128)
        let entry = try XCTUnwrap(try WeightStreamingTests.entryDirectories(cacheDir).first)
        // Change a byte of a tensor and record the changed bytes' sha256 in manifest.json, so that every region
        // matches the manifest: only the entry's name (the manifest's digest) gives it away.
        let tensor = try cluster.file.tensor("blk.20.ffn_down.weight")
        let range = cluster.file.fileRange(of: tensor)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: entry + "/model.gguf"))
        try handle.seek(toOffset: UInt64(range.lowerBound + range.count / 2))
        let original = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(range.lowerBound + range.count / 2))
        handle.write(Data([original ^ 0x10]))
        try handle.close()
        let sha = try FileDigest.sha256(path: entry + "/model.gguf",
                                        range: UInt64(range.lowerBound)..<UInt64(range.upperBound)).hexString
        var manifest = try WeightStreamingTests.manifest(entry)
        var regions = try XCTUnwrap(manifest["regions"] as? [[String: Any]])
        let index = try XCTUnwrap(regions.firstIndex { $0["name"] as? String == tensor.name })
        regions[index]["sha256"] = sha
        manifest["regions"] = regions
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: entry + "/manifest.json"))

        try cluster.restart(1)
        let pipeline = try await cluster.pipeline(plan, context: 128)
        let load = try XCTUnwrap(pipeline.stageLoads.withLock { $0[1] })
        XCTAssertGreaterThan(load.bytesStreamed, 0, "the edited entry was refused and the stage streamed again")
        let got = try await cluster.generate(pipeline, prompt: cluster.tokenizer.encode(prompt), maxTokens: 16)
        XCTAssertEqual(got, expected)
    }

    /// Plays a hostile peer: offers stage 1 of `plan` under the real file's sha256, then sends its regions with one
    /// byte of blk.20.ffn_down.weight flipped and each region's sha256 computed over what it sends, so every check
    /// that trusts the sender passes.
    private func streamAlteredStage(_ plan: StagePlan, endpoint: String) throws {
        let file = cluster.file
        let context = try ZMQContext()
        let connection = try Connection(context: context, endpoint: endpoint)
        _ = try connection.hello(peerID: "attacker", timeout: .seconds(5))
        var regions = [WeightRegion(name: WeightRegion.headerName, fileOffset: 0, size: UInt64(file.dataOffset))]
        let tensors = try Set(plan.spec(1).tensorNames(in: file, config: cluster.config)).map { try file.tensor($0) }
        for tensor in tensors.sorted(by: { $0.offset < $1.offset }) {
            let range = file.fileRange(of: tensor)
            regions.append(WeightRegion(name: tensor.name, fileOffset: UInt64(range.lowerBound), size: UInt64(range.count)))
        }
        let offer = WeightOffer(modelSHA256: try FileDigest.sha256(path: cluster.modelPath).hexString,
                                fileSize: UInt64(file.fileSize), layerBegin: 15, layerEnd: 30, isFirst: false, isLast: true,
                                regions: regions, maxChunkBytes: 4 << 20)
        guard case .weightCredit = try connection.request(.weightOffer(offer), timeout: .seconds(10)) else {
            return XCTFail("the offer was refused")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: cluster.modelPath))
        for region in regions {
            var bytes = [UInt8](data[Int(region.fileOffset)..<Int(region.end)])
            if region.name == "blk.20.ffn_down.weight" { bytes[bytes.count / 2] ^= 0x10 }
            let sha = SHA256.hash(bytes)
            var start = 0
            while start < bytes.count {
                let end = min(start + (4 << 20), bytes.count)
                let chunk = WeightChunk(fileOffset: region.fileOffset + UInt64(start), data: Array(bytes[start..<end]),
                                        regionSHA256: end == bytes.count ? sha : [])
                guard case .weightCredit = try connection.request(.weightChunk(chunk), timeout: .seconds(10)) else {
                    return XCTFail("a chunk of \(region.name) was refused")
                }
                start = end
            }
        }
        guard case .weightDoneReply = try connection.request(.weightDone(WeightDone(modelSHA256: offer.modelSHA256)),
                                                              timeout: .seconds(30)) else {
            return XCTFail("the transfer was not sealed")
        }
    }
}
