/// The names llama.cpp looks at to give some special tokens whitespace stripping (llama_vocab::impl::load,
/// "set attributes by model/tokenizer/architecture name"): GGUF has no per-token strip flags yet.
public struct ModelNames: Sendable, Equatable {
    /// `general.name`, e.g. "Phi 3 Mini" (compared in ASCII lower case).
    public var name: String?
    /// `tokenizer.ggml.pre`.
    public var pre: String?
    /// `general.architecture`.
    public var architecture: String?

    public init(name: String? = nil, pre: String? = nil, architecture: String? = nil) {
        self.name = name
        self.pre = pre
        self.architecture = architecture
    }
}

/// Sets the lstrip / rstrip attributes llama.cpp sets: a matched special token with lstrip swallows the
/// whitespace before it, one with rstrip the whitespace after it.
enum SpecialTokenStrip {
    static func apply(_ names: ModelNames, texts: [String], attributes: inout [TokenAttributes]) {
        let name = asciiLowercased(names.name ?? "")
        let pre = names.pre ?? ""
        let architecture = names.architecture ?? ""
        func set(_ text: String, _ flag: TokenAttributes, _ on: Bool) {
            // llama.cpp's token_to_id.at would throw for a missing text; Baton leaves the vocabulary as it is.
            guard let id = texts.firstIndex(of: text) else { return }
            if on { attributes[id].insert(flag) } else { attributes[id].remove(flag) }
        }
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: pre.contains)
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: architecture.contains) {
            set("<mask>", .lstrip, true)
        } else if ["phi-3", "phi3"].contains(where: name.contains) {
            // Every token matched in text (control, user-defined, unknown) strips what follows, but these three.
            for id in attributes.indices where !attributes[id].isDisjoint(with: .matchedInText) {
                attributes[id].insert(.rstrip)
            }
            set("</s>", .rstrip, true)
            for text in ["<unk>", "<s>", "<|endoftext|>"] { set(text, .rstrip, false) }
        } else if name.contains("modern-bert") {
            set("[MASK]", .lstrip, true)
        }
    }

    /// std::tolower per byte: only A–Z change.
    private static func asciiLowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
