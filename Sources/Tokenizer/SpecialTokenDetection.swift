/// llama.cpp recognizes several special tokens by their text when the GGUF file does not name them
/// (llama_vocab::impl::load, "auto-detect special tokens by text"), forces such tokens to be control
/// tokens, and builds the end-of-generation set from them. Reproduced here so that generation stops on
/// the same tokens (SmolLM2: 0 `<|endoftext|>`, 2 `<|im_end|>`, 4 `<reponame>`).
enum SpecialTokenDetection {
    static let eotTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
        "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ]
    static let eomTexts: Set<String> = ["<|eom_id|>"]
    static let fimPrefixTexts: Set<String> = [
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>",
        "<|prefix|>",
    ]
    static let fimSuffixTexts: Set<String> = [
        "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>",
        "<|suffix|>",
    ]
    static let fimMiddleTexts: Set<String> = [
        "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>",
        "<|middle|>",
    ]
    static let fimPadTexts: Set<String> = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]
    static let fimRepoTexts: Set<String> = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]
    static let fimSeparatorTexts: Set<String> = ["<|file_sep|>"]
    /// Texts that end generation wherever they are in the vocabulary.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]
    /// gpt-oss channel markers are always rendered (user-defined), whatever the file says.
    static let alwaysRenderedTexts: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    /// Fills unset special ids from token texts, adjusts attributes, and returns the end-of-generation ids.
    static func apply(texts: [String], attributes: inout [TokenAttributes], special: inout SpecialTokens) -> Set<Int32> {
        let detections: [(WritableKeyPath<SpecialTokens, Int32?>, Set<String>)] = [
            (\.eot, eotTexts), (\.eom, eomTexts), (\.fimPrefix, fimPrefixTexts), (\.fimSuffix, fimSuffixTexts),
            (\.fimMiddle, fimMiddleTexts), (\.fimPad, fimPadTexts), (\.fimRepo, fimRepoTexts),
            (\.fimSeparator, fimSeparatorTexts),
        ]
        // llama.cpp walks a hash map, so with several candidates (e.g. both <|im_end|> and
        // <|endoftext|> for eot) its pick is arbitrary; the lowest id is taken here.
        for (id, text) in texts.enumerated() {
            for (path, candidates) in detections where special[keyPath: path] == nil && candidates.contains(text) {
                special[keyPath: path] = Int32(id)
                attributes[id].insert(.control)
            }
        }

        var endOfGeneration = Set([special.fimPad, special.fimRepo, special.fimSeparator].compactMap { $0 })
        for (id, text) in texts.enumerated() {
            if endOfGenerationTexts.contains(text) {
                endOfGeneration.insert(Int32(id))
                attributes[id].insert(.control)
            }
            if alwaysRenderedTexts.contains(text) { attributes[id] = .userDefined }
        }
        for id in [special.eos, special.eot, special.eom].compactMap({ $0 }) { endOfGeneration.insert(id) }
        removeHarmonyWorkarounds(texts: texts, attributes: &attributes, from: &endOfGeneration)
        return endOfGeneration
    }

    /// In o200k_harmony / solar-open vocabularies `<|end|>` ends a message, not generation; in gemma4 /
    /// paddleocr vocabularies with `<|tool_response>`, `</s>` is not an end either (llama.cpp workarounds).
    private static func removeHarmonyWorkarounds(texts: [String], attributes: inout [TokenAttributes],
                                                 from endOfGeneration: inout Set<Int32>) {
        var byText: [String: Int32] = [:]
        for id in endOfGeneration where Int(id) < texts.count { byText[texts[Int(id)]] = id }
        let hasCall = byText["<|call|>"] != nil || byText["<|calls|>"] != nil
        if let end = byText["<|end|>"], hasCall, byText["<|return|>"] != nil || byText["<|flush|>"] != nil {
            endOfGeneration.remove(end)
            attributes[Int(end)] = .userDefined
        }
        if let s = byText["</s>"], byText["<|tool_response>"] != nil {
            endOfGeneration.remove(s)
            attributes[Int(s)] = .normal
        }
    }
}
