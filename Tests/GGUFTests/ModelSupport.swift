import Foundation
import GGUF
import TestSupport
import XCTest

/// The real test model and llama.cpp's facts about it; tests skip (saying why) when the model is absent.
enum RealModel {
    static func path() throws -> String {
        guard TestPaths.modelAvailable else {
            let reason = "test model not found at \(TestPaths.model); run ./scripts/fetch-model.sh"
            print("skipping: \(reason)")
            throw XCTSkip(reason)
        }
        return TestPaths.model
    }

    /// The parsed model, shared by the tests of a run (the header holds ~100k strings).
    static func file() throws -> GGUFFile {
        _ = try path()
        return try shared.get()
    }

    private static let shared = Result { try GGUFFile(path: TestPaths.model) }

    static func facts() throws -> [String: Any] {
        let url = TestPaths.refs.appendingPathComponent("model_facts.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try XCTUnwrap(object as? [String: Any], "model_facts.json is not an object")
    }

    static func dumpLines() throws -> [String] {
        let url = TestPaths.refs.appendingPathComponent("gguf_dump.txt")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}

/// One metadata line of gguf_dump.txt: `  28: [STRING]   |    49152 | tokenizer.ggml.tokens = [...]`.
struct DumpedKey: Equatable {
    var type: String
    var count: Int
    var key: String

    init?(_ line: String) {
        let columns = line.split(separator: "|", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.count == 3, let colon = columns[0].firstIndex(of: ":"), let count = Int(columns[1]),
              let equals = columns[2].range(of: " = ") else { return nil }
        type = columns[0][columns[0].index(after: colon)...].trimmingCharacters(in: .whitespaces)
        self.count = count
        key = String(columns[2][..<equals.lowerBound])
    }
}

/// One tensor line of gguf_dump.txt: `   3:     884736 |  1536,   576,     1,     1 | Q4_1    | blk.0.ffn_down.weight`.
struct DumpedTensor: Equatable {
    var elements: Int
    var ne: [Int]
    var type: String
    var name: String

    init?(_ line: String) {
        let columns = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.count == 4, let colon = columns[0].firstIndex(of: ":"),
              let elements = Int(columns[0][columns[0].index(after: colon)...].trimmingCharacters(in: .whitespaces))
        else { return nil }
        let ne = columns[1].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard ne.count == 4 else { return nil }
        self.elements = elements
        self.ne = ne
        type = columns[2]
        name = columns[3]
    }
}

extension GGUFValueType {
    /// gguf-py's spelling in gguf_dump.txt.
    var dumpName: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float32: "FLOAT32"
        case .float64: "FLOAT64"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array: "ARRAY"
        }
    }
}
