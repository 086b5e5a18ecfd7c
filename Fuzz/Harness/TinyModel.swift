import GGUF

/// A two-layer Llama with every tensor F32 and small deterministic values. The Envelope harness's stages use the
/// default shape (64 wide, 4 heads of 16, 2 KV heads: loads and computes in microseconds); the GGUF seeds a
/// narrower one, so that mutating a whole file stays cheap.
struct TinyModel {
    var width = 64, heads = 4, kvHeads = 2, feedForward = 128
    static let layers = 2, vocabulary = 16, context = 64
    static let standard = TinyModel()

    /// `tokenizer`: add a GPT-2 vocabulary of 16 single letters (for the GGUF harness's seeds).
    func bytes(tokenizer: Bool = false) -> [UInt8] {
        var w = GGUFWriter()
        let a = "llama"
        w.set(GGUFKey.architecture, .string(a))
        for (key, value) in [(GGUFKey.blockCount(a), Self.layers), (GGUFKey.contextLength(a), Self.context),
                             (GGUFKey.embeddingLength(a), width), (GGUFKey.feedForwardLength(a), feedForward),
                             (GGUFKey.headCount(a), heads), (GGUFKey.headCountKV(a), kvHeads),
                             (GGUFKey.vocabSize(a), Self.vocabulary)] {
            w.set(key, .uint32(UInt32(value)))
        }
        if tokenizer { Self.addTokenizer(&w) }
        let tensors = self.tensors
        for (name, dims) in tensors { w.addTensor(name, dims: dims, type: .f32) }
        return w.bytes(tensorData: tensors.enumerated().map { index, tensor in Self.values(tensor.1.reduce(1, *), seed: index) })
    }

    private var tensors: [(String, [Int])] {
        let kv = width / heads * kvHeads
        var tensors: [(String, [Int])] = [(TensorName.tokenEmbedding, [width, Self.vocabulary]), (TensorName.outputNorm, [width])]
        for l in 0..<Self.layers {
            tensors += [(TensorName.attentionNorm(l), [width]), (TensorName.attentionQ(l), [width, width]),
                        (TensorName.attentionK(l), [width, kv]), (TensorName.attentionV(l), [width, kv]),
                        (TensorName.attentionOutput(l), [width, width]), (TensorName.ffnNorm(l), [width]),
                        (TensorName.ffnGate(l), [width, feedForward]), (TensorName.ffnUp(l), [width, feedForward]),
                        (TensorName.ffnDown(l), [feedForward, width])]
        }
        return tensors
    }

    private static func addTokenizer(_ w: inout GGUFWriter) {
        let letters = (0..<vocabulary).map { String(UnicodeScalar(UInt8(97 + $0))) }
        w.set(GGUFKey.tokenizerModel, .string("gpt2"))
        w.set(GGUFKey.tokenizerPre, .string("gpt-2"))
        w.set(GGUFKey.tokens, .array(.string, letters.map { .string($0) }))
        w.set(GGUFKey.tokenTypes, .array(.int32, letters.map { _ in .int32(1) }))
        w.set(GGUFKey.merges, .array(.string, [.string("a b")]))
        w.set(GGUFKey.eosTokenID, .uint32(UInt32(vocabulary - 1)))
    }

    /// Little-endian f32 values in [-0.25, 0.25) from a fixed linear congruential sequence.
    private static func values(_ count: Int, seed: Int) -> [UInt8] {
        var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 1)
        var out: [UInt8] = []
        out.reserveCapacity(count * 4)
        for _ in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            let value = Float(state >> 8) / Float(1 << 24) * 0.5 - 0.25
            withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
        }
        return out
    }
}
