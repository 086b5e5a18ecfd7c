/// The `gpt2` tokenizer model: a fragment is split into words by the pre-tokenizer, then each word is
/// byte-pair encoded on its own (llama.cpp's llm_tokenizer_bpe_session::tokenize).
struct ByteLevelBPE: Sendable {
    let encoder: BytePairEncoder
    let preTokenizer: PreTokenizer
    /// Raw bytes → token, for pre-tokenizers that emit whole-word vocabulary entries without merging.
    let wholeWords: [[UInt8]: Int32]

    init(vocabulary: Vocabulary, merges: [String], kind: PreTokenizerKind) {
        encoder = BytePairEncoder(tokens: vocabulary.texts, merges: merges)
        preTokenizer = PreTokenizer(kind: kind)
        var wholeWords: [[UInt8]: Int32] = [:]
        if kind.ignoreMerges {
            for (id, text) in vocabulary.texts.enumerated() {
                if let bytes = ByteLevel.decode(text), wholeWords[bytes] == nil { wholeWords[bytes] = Int32(id) }
            }
        }
        self.wholeWords = wholeWords
    }

    /// Appends the tokens of one fragment of raw text.
    func encode(_ fragment: ArraySlice<UInt8>, into output: inout [Int32], scratch: inout BPEScratch) {
        for word in preTokenizer.split(fragment) {
            let bytes = fragment[word]
            if !wholeWords.isEmpty, let id = wholeWords[Array(bytes)] {
                output.append(id)
            } else {
                encoder.encode(bytes, into: &output, scratch: &scratch)
            }
        }
    }
}

/// How text fragments between special tokens become tokens.
enum TokenizerAlgorithm: Sendable {
    /// `tokenizer.ggml.model` = gpt2.
    case bytePair(ByteLevelBPE)
    /// `tokenizer.ggml.model` = llama.
    case sentencePiece(SentencePieceEncoder)
}
