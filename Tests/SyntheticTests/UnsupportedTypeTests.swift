import GGUF
import Kernels
import Llama
import XCTest

/// A tensor type the kernels do not implement parses (so it can be named) but is refused at load, naming the
/// tensor and its type; a K-quant row that is not a whole super-block is refused by the parser.
final class UnsupportedTypeTests: XCTestCase {
    func testUnsupportedTensorTypeIsRefusedAtLoadNamingIt() throws {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try GGUFFile(path: Synth.write(Synth.model("135m", .q8_0, layers: 1), in: dir, name: "m.gguf"))
        for (target, type) in [("blk.0.ffn_up.weight", GGMLType.mxfp4), ("blk.0.attn_norm.weight", .i32), ("token_embd.weight", .f64)] {
            var writer = GGUFWriter()
            for key in source.metadataKeys { if let value = source.metadata[key] { writer.set(key, value) } }
            for info in source.tensors { writer.addTensor(info.name, dims: info.dims, type: info.name == target ? type : info.type) }
            let path = dir.appendingPathComponent("unsupported.gguf").path
            try writer.write(to: path) { index in
                let info = source.tensors[index]
                return info.name == target ? [UInt8](repeating: 0, count: writer.tensors[index].byteCount) : Array(source.data(of: info))
            }
            let file = try GGUFFile(path: path)
            XCTAssertEqual(try file.tensor(target).type, type)
            let config = try LlamaConfig(gguf: file)
            XCTAssertThrowsError(try StageWeights(file: file, config: config, spec: .whole(config))) { error in
                guard case .unsupportedTensorType(let tensor, let found, let supported)? = error as? GGUFError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(tensor, target)
                XCTAssertEqual(found, type)
                XCTAssertEqual(supported, WeightFormat.allCases.map(\.description))
                XCTAssertTrue("\(error)".contains("'\(target)' is \(type)"), "\(error)")
            }
        }
    }
}
