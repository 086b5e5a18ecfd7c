import GGUF
import Kernels
import Synthetic
import XCTest

/// The same shape, type, seed and layer count give the same bytes, however many threads make them.
final class DeterminismTests: XCTestCase {
    func testSameSeedGivesIdenticalBytesOnAnyThreadCountAndAnotherSeedDiffers() throws {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try Synth.write(Synth.model("1b", .q4_0, seed: 7, layers: 2), in: dir, name: "a.gguf")
        let b = try Synth.write(Synth.model("1b", .q4_0, seed: 7, layers: 2), in: dir, name: "b.gguf",
                                pool: ThreadPool(threads: 3))
        let c = try Synth.write(Synth.model("1b", .q4_0, seed: 8, layers: 2), in: dir, name: "c.gguf")
        let (bytesA, bytesB, bytesC) = (try Synth.contents(a), try Synth.contents(b), try Synth.contents(c))
        XCTAssertGreaterThan(bytesA.count, 200_000_000)
        XCTAssertTrue(bytesA == bytesB, "same seed, different thread count: files differ")
        XCTAssertEqual(bytesA.count, bytesC.count)
        XCTAssertFalse(bytesA == bytesC, "seeds 7 and 8 gave the same file")

        // Every matrix changes with the seed, not just some of them.
        let fileA = try GGUFFile(path: a), fileC = try GGUFFile(path: c)
        for info in fileA.tensors where info.type != .f32 {
            let other = try fileC.tensor(info.name)
            XCTAssertFalse(sameBytes(fileA.data(of: info), fileC.data(of: other)), "\(info.name) ignores the seed")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: a + ".partial"), "the partial file was not renamed")
    }

    /// Weights are keyed by tensor name, so fewer layers give exactly the first blocks of the deeper model.
    func testFewerLayersAreAPrefixOfMoreLayers() throws {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try GGUFFile(path: Synth.write(Synth.model("135m", .q8_0, layers: 1), in: dir, name: "1.gguf"))
        let three = try GGUFFile(path: Synth.write(Synth.model("135m", .q8_0, layers: 3), in: dir, name: "3.gguf"))
        XCTAssertEqual(one.tensors.count + 2 * 9, three.tensors.count)
        for info in one.tensors {
            let other = try three.tensor(info.name)
            XCTAssertTrue(sameBytes(one.data(of: info), three.data(of: other)), "\(info.name) differs")
        }
    }
}
