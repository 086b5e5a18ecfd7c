/// GPT-2 style byte-level BPE tokenizer, token-for-token compatible with llama.cpp's
/// (llama_tokenize / llama_token_to_piece) for the pre-tokenizers listed in `PreTokenizerKind`.
/// Immutable after construction; safe to share between threads.
public final class Tokenizer: Sendable {
    let vocabulary: Vocabulary
    let encoder: BytePairEncoder
    let preTokenizer: PreTokenizer
    let partition: SpecialTokenPartition
    /// Raw bytes → token, for pre-tokenizers that emit whole-word vocabulary entries without merging.
    let wholeWords: [[UInt8]: Int32]

    /// Builds a tokenizer from vocabulary parts (what the GGUF initializer reads from the file).
    /// - Parameters:
    ///   - tokens: vocabulary entries as stored in GGUF (byte-level strings; special tokens verbatim).
    ///   - tokenTypes: `tokenizer.ggml.token_type` per token (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    ///   - merges: "left right" pairs, highest priority first.
    ///   - pre: the `tokenizer.ggml.pre` name, e.g. "smollm", "gpt-2", "llama-bpe", "default".
    ///   - special: special ids and add-BOS/EOS flags, taken as given.
    public init(tokens: [String], tokenTypes: [Int], merges: [String], pre: String, special: SpecialTokens) throws {
        guard let kind = PreTokenizerKind(name: pre) else { throw TokenizerError.unsupportedPreTokenizer(pre) }
        vocabulary = try Vocabulary(tokens: tokens, tokenTypes: tokenTypes, special: special)
        encoder = BytePairEncoder(tokens: vocabulary.texts, merges: merges)
        preTokenizer = PreTokenizer(kind: kind)
        partition = SpecialTokenPartition(texts: vocabulary.texts, attributes: vocabulary.attributes)
        var wholeWords: [[UInt8]: Int32] = [:]
        if kind.ignoreMerges {
            for (id, text) in vocabulary.texts.enumerated() {
                if let bytes = ByteLevel.decode(text), wholeWords[bytes] == nil { wholeWords[bytes] = Int32(id) }
            }
        }
        self.wholeWords = wholeWords
    }

    public var vocabularySize: Int { vocabulary.count }
    /// Special ids after llama.cpp's detection by token text (eot, eom, fim tokens).
    public var specialTokens: SpecialTokens { vocabulary.special }
    public var bos: Int32? { vocabulary.special.bos }
    public var eos: Int32? { vocabulary.special.eos }
    /// Whether the model wants BOS prepended (`tokenizer.ggml.add_bos_token`).
    public var addBOS: Bool { vocabulary.special.addBOS }
    /// The pre-tokenizer name in use.
    public var preTokenizerName: String { preTokenizer.kind.name }

    /// Tokens that end generation: eos, eot, eom and the control tokens llama.cpp recognizes as ends.
    public var endOfGenerationIDs: Set<Int32> { vocabulary.endOfGeneration }

    public func isEndOfGeneration(_ id: Int32) -> Bool { vocabulary.endOfGeneration.contains(id) }

    /// Whether the id is a control (or unknown) token, i.e. not text.
    public func isControl(_ id: Int32) -> Bool {
        vocabulary.contains(id) && !vocabulary.attributes[Int(id)].isDisjoint(with: .special)
    }

    /// Tokenizes text like llama_tokenize.
    /// - Parameters:
    ///   - addSpecial: add BOS (and EOS) if the model asks for them (`add_bos_token` / `add_eos_token`).
    ///   - parseSpecial: recognize control tokens such as `<|im_start|>` written in the text.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        let bytes = Array(text.utf8)
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial, vocabulary.special.addBOS, let bos { output.append(bos) }
        var scratch = BPEScratch()
        for fragment in partition.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
            case .text(let range):
                for word in preTokenizer.split(bytes[range]) {
                    encodeWord(bytes[word], into: &output, scratch: &scratch)
                }
            }
        }
        if addSpecial, vocabulary.special.addEOS, let eos { output.append(eos) }
        return output
    }

    private func encodeWord(_ word: ArraySlice<UInt8>, into output: inout [Int32], scratch: inout BPEScratch) {
        if !wholeWords.isEmpty, let id = wholeWords[Array(word)] {
            output.append(id)
            return
        }
        encoder.encode(word, into: &output, scratch: &scratch)
    }

    /// The raw bytes of a token (may be part of a UTF-8 sequence). Control and unknown tokens render
    /// their text when `special` is true and as nothing otherwise; an id outside the vocabulary as nothing.
    public func piece(_ id: Int32, special: Bool = true) -> [UInt8] {
        guard vocabulary.contains(id) else { return [] }
        if !special && !vocabulary.attributes[Int(id)].isDisjoint(with: .special) { return [] }
        return vocabulary.pieces[Int(id)]
    }

    /// The concatenated pieces of `ids` (ids outside the vocabulary contribute nothing).
    public func decode(_ ids: [Int32], special: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids { bytes.append(contentsOf: piece(id, special: special)) }
        return bytes
    }

    /// The id of a vocabulary entry: `text` is matched against entries as stored (e.g. "<|im_end|>",
    /// "ĠHello"), then as plain text (" Hello" finds "ĠHello").
    public func tokenID(of text: String) -> Int32? {
        if let id = vocabulary.idOfText[text] { return id }
        return vocabulary.idOfText[ByteLevel.encode(text.utf8)]
    }

    /// The vocabulary entry of an id, as stored.
    public func tokenText(_ id: Int32) -> String? {
        vocabulary.contains(id) ? vocabulary.texts[Int(id)] : nil
    }
}
