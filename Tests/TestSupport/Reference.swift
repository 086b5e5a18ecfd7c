import Foundation

/// llama.cpp's greedy continuations for the test model (Tests/Fixtures/llamacpp/greedy_continuations.json).
public struct GreedyReference: Decodable, Sendable {
    public struct TopLogit: Decodable, Sendable {
        public let id: Int32
        public let piece: String
        public let logit: Float
        public let logprob: Float
    }
    public struct FirstPosition: Decodable, Sendable {
        public let top10: [TopLogit]
        public let logit_max: Float
        public let logsumexp: Float
    }
    public struct Step: Decodable, Sendable {
        public let id: Int32
        public let logit: Float
        public let margin_to_2nd: Float
    }
    public struct Case: Decodable, Sendable {
        public let prompt: String
        public let prompt_ids: [Int32]
        public let generated_ids: [Int32]
        public let generated_text: String
        public let first_generated_position: FirstPosition
        public let per_step_greedy: [Step]

        /// Steps that must agree exactly: everything before the first step whose gap is below `margin`.
        public func exactPrefix(margin: Float) -> Int {
            per_step_greedy.firstIndex { $0.margin_to_2nd < margin } ?? per_step_greedy.count
        }
    }
    public let results: [Case]

    public static func load() throws -> GreedyReference {
        let url = TestPaths.refs.appendingPathComponent("greedy_continuations.json")
        return try JSONDecoder().decode(GreedyReference.self, from: Data(contentsOf: url))
    }
}

/// llama-tokenize's ids for the 6 prompts (Tests/Fixtures/llamacpp/tokenize.json).
public struct TokenizeReference: Decodable, Sendable {
    public struct Piece: Decodable, Sendable {
        public let id: Int32
        public let piece_hex: String
    }
    public struct Case: Decodable, Sendable {
        public let prompt: String
        public let ids_default: [Int32]
        public let pieces: [Piece]
    }
    public let prompts: [Case]

    public static func load() throws -> TokenizeReference {
        let url = TestPaths.refs.appendingPathComponent("tokenize.json")
        return try JSONDecoder().decode(TokenizeReference.self, from: Data(contentsOf: url))
    }
}

/// llama.cpp's greedy runs on the test model requantized to one type (Tests/Fixtures/quantized/greedy-TYPE.json):
/// per prompt the greedy ids and, at every step, the top-10 logits.
public struct QuantizedGreedyReference: Decodable, Sendable {
    public struct Step: Decodable, Sendable {
        public let id: Int32
        public let logit: Float
        public let gap_to_2nd: Float
        public let top10: [[Float]]  // [id, logit] pairs
    }
    public struct Case: Decodable, Sendable {
        public let prompt: String
        public let prompt_ids: [Int32]
        public let generated_ids: [Int32]
        public let per_step: [Step]

        /// Steps that must agree exactly: everything before the first step whose gap is below `margin`.
        public func exactPrefix(margin: Float) -> Int {
            per_step.firstIndex { $0.gap_to_2nd < margin } ?? per_step.count
        }
    }
    public let model: String
    public let model_sha256: String
    public let results: [Case]

    /// The llama-quantize types with a reference.
    public static let types = ["BF16", "IQ4_NL", "IQ4_XS", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_0", "Q5_1", "Q5_K_M", "Q6_K", "Q8_0"]

    public static func load(type: String) throws -> QuantizedGreedyReference {
        let url = TestPaths.quantizedRefs.appendingPathComponent("greedy-\(type).json")
        return try JSONDecoder().decode(QuantizedGreedyReference.self, from: Data(contentsOf: url))
    }
}
