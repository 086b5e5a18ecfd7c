/// Byte-level BPE (`gpt2`) and SentencePiece (`llama`) tokenizer, token-for-token compatible with
/// llama.cpp's (llama_tokenize / llama_token_to_piece) for the pre-tokenizers listed in `PreTokenizerKind`.
/// Immutable after construction; safe to share between threads.
public final class Tokenizer: Sendable {
    let vocabulary: Vocabulary
    let algorithm: TokenizerAlgorithm
    let partition: SpecialTokenPartition
    /// `tokenizer.ggml.add_space_prefix`, which llama_detokenize honours whatever the model.
    let addSpacePrefix: Bool

    /// Builds a byte-level BPE tokenizer from vocabulary parts (what the GGUF initializer reads from the file).
    /// - Parameters:
    ///   - tokens: vocabulary entries as stored in GGUF (byte-level strings; special tokens verbatim).
    ///   - tokenTypes: `tokenizer.ggml.token_type` per token (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    ///   - merges: "left right" pairs, highest priority first.
    ///   - pre: the `tokenizer.ggml.pre` name, e.g. "smollm", "gpt-2", "llama-bpe", "qwen2", "default".
    ///   - special: special ids and add-BOS/EOS flags, taken as given.
    ///   - addSpacePrefix: only affects `decode(_:special:stripSpacePrefix:)`; BPE encoding adds no space.
    ///   - names: the model's names, which decide llama.cpp's whitespace stripping around some special tokens
    ///     (`pre` defaults to the `pre` argument).
    public convenience init(tokens: [String], tokenTypes: [Int], merges: [String], pre: String, special: SpecialTokens,
                            addSpacePrefix: Bool = false, names: ModelNames = ModelNames()) throws {
        guard let kind = PreTokenizerKind(name: pre) else { throw TokenizerError.unsupportedPreTokenizer(pre) }
        var names = names
        if names.pre == nil { names.pre = pre }
        let vocabulary = try Vocabulary(tokens: tokens, tokenTypes: tokenTypes, special: special, style: .byteLevel,
                                        names: names)
        self.init(vocabulary: vocabulary,
                  algorithm: .bytePair(ByteLevelBPE(vocabulary: vocabulary, merges: merges, kind: kind)),
                  addSpacePrefix: addSpacePrefix)
    }

    /// Builds a SentencePiece tokenizer (`tokenizer.ggml.model` = llama) from vocabulary parts.
    /// - Parameters:
    ///   - tokens: entries as stored (`▁` for spaces, `<0xXX>` byte tokens, special tokens verbatim).
    ///   - scores: `tokenizer.ggml.scores`; higher merges first. Missing entries count as 0.
    ///   - addSpacePrefix: `tokenizer.ggml.add_space_prefix` (llama.cpp's default for SentencePiece: true).
    public convenience init(sentencePieceTokens tokens: [String], tokenTypes: [Int], scores: [Float],
                            special: SpecialTokens, addSpacePrefix: Bool = true, names: ModelNames = ModelNames()) throws {
        let vocabulary = try Vocabulary(tokens: tokens, tokenTypes: tokenTypes, special: special, style: .sentencePiece,
                                        names: names)
        let encoder = SentencePieceEncoder(vocabulary: vocabulary, scores: scores, addSpacePrefix: addSpacePrefix)
        self.init(vocabulary: vocabulary, algorithm: .sentencePiece(encoder), addSpacePrefix: addSpacePrefix)
    }

    private init(vocabulary: Vocabulary, algorithm: TokenizerAlgorithm, addSpacePrefix: Bool) {
        self.vocabulary = vocabulary
        self.algorithm = algorithm
        self.addSpacePrefix = addSpacePrefix
        partition = SpecialTokenPartition(texts: vocabulary.texts, attributes: vocabulary.attributes)
    }

    public var vocabularySize: Int { vocabulary.count }
    /// Special ids after llama.cpp's detection by token text (eot, eom, fim tokens).
    public var specialTokens: SpecialTokens { vocabulary.special }
    public var bos: Int32? { vocabulary.special.bos }
    public var eos: Int32? { vocabulary.special.eos }
    /// Whether the model wants BOS prepended (`tokenizer.ggml.add_bos_token`).
    public var addBOS: Bool { vocabulary.special.addBOS }
    /// The `tokenizer.ggml.model` implemented: "gpt2" or "llama".
    public var modelName: String {
        switch algorithm {
        case .bytePair: "gpt2"
        case .sentencePiece: "llama"
        }
    }

    /// The pre-tokenizer name in use; nil for SentencePiece, which splits no words.
    public var preTokenizerName: String? {
        if case .bytePair(let bpe) = algorithm { return bpe.preTokenizer.kind.name }
        return nil
    }

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
        // SentencePiece puts a space before the first fragment and each one after a special token
        // (llama.cpp's is_prev_special, true at the start whether or not BOS was added).
        var afterSpecial = true
        for fragment in partition.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                afterSpecial = true
            case .text(let range):
                encodeText(bytes[range], afterSpecial: afterSpecial, into: &output, scratch: &scratch)
                afterSpecial = false
            }
        }
        if addSpecial, vocabulary.special.addEOS, let eos { output.append(eos) }
        return output
    }

    private func encodeText(_ text: ArraySlice<UInt8>, afterSpecial: Bool, into output: inout [Int32],
                            scratch: inout BPEScratch) {
        switch algorithm {
        case .bytePair(let bpe):
            bpe.encode(text, into: &output, scratch: &scratch)
        case .sentencePiece(let spm):
            spm.encode(text, prefixSpace: spm.addSpacePrefix && afterSpecial, into: &output)
        }
    }

    /// The raw bytes of a token (may be part of a UTF-8 sequence). Control and unknown tokens render
    /// their text when `special` is true and as nothing otherwise; an id outside the vocabulary as nothing.
    public func piece(_ id: Int32, special: Bool = true) -> [UInt8] {
        guard vocabulary.contains(id) else { return [] }
        if !special && !vocabulary.attributes[Int(id)].isDisjoint(with: .special) { return [] }
        return vocabulary.pieces[Int(id)]
    }

    /// The concatenated pieces of `ids` (ids outside the vocabulary contribute nothing), as llama-server
    /// joins pieces. With `stripSpacePrefix`, llama_detokenize's rule (remove_special false) is applied too:
    /// when the vocabulary adds a space prefix, the first token loses one leading space, so that
    /// SentencePiece text round-trips (its clean_up_tokenization_spaces pass is not applied).
    public func decode(_ ids: [Int32], special: Bool = true, stripSpacePrefix: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, id) in ids.enumerated() {
            let piece = piece(id, special: special)
            if index == 0 && stripSpacePrefix && addSpacePrefix && piece.first == 0x20 {
                bytes.append(contentsOf: piece.dropFirst())
            } else {
                bytes.append(contentsOf: piece)
            }
        }
        return bytes
    }

    /// The id of a vocabulary entry: `text` is matched against entries as stored (e.g. "<|im_end|>",
    /// "ĠHello", "▁Hello"), then as plain text (" Hello" finds "ĠHello" or "▁Hello").
    public func tokenID(of text: String) -> Int32? {
        if let id = vocabulary.id(of: text) { return id }
        switch algorithm {
        case .bytePair: return vocabulary.id(of: ByteLevel.encode(text.utf8))
        case .sentencePiece: return vocabulary.idOfBytes[SpaceEscape.escape(Array(text.utf8)[...], prefixSpace: false)[...]]
        }
    }

    /// The vocabulary entry of an id, as stored.
    public func tokenText(_ id: Int32) -> String? {
        vocabulary.contains(id) ? vocabulary.texts[Int(id)] : nil
    }
}
