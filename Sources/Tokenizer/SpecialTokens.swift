/// The special token ids and add-BOS/EOS flags of a vocabulary (nil: the model has none).
public struct SpecialTokens: Sendable, Equatable {
    public var bos: Int32?
    public var eos: Int32?
    /// End of turn, e.g. `<|im_end|>` / `<|eot_id|>`.
    public var eot: Int32?
    /// End of message, e.g. `<|eom_id|>`.
    public var eom: Int32?
    public var unknown: Int32?
    public var padding: Int32?
    /// Fill-in-the-middle tokens: repo, pad and file-separator end generation in llama.cpp.
    public var fimPrefix: Int32?
    public var fimSuffix: Int32?
    public var fimMiddle: Int32?
    public var fimPad: Int32?
    public var fimRepo: Int32?
    public var fimSeparator: Int32?
    /// `tokenizer.ggml.add_bos_token` / `add_eos_token`: whether `encode(addSpecial: true)` adds them.
    public var addBOS: Bool
    public var addEOS: Bool

    public init(bos: Int32? = nil, eos: Int32? = nil, eot: Int32? = nil, eom: Int32? = nil,
                unknown: Int32? = nil, padding: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false) {
        self.bos = bos
        self.eos = eos
        self.eot = eot
        self.eom = eom
        self.unknown = unknown
        self.padding = padding
        self.addBOS = addBOS
        self.addEOS = addEOS
    }

    /// Every id with its name, for range checks.
    var named: [(String, Int32?)] {
        [("bos", bos), ("eos", eos), ("eot", eot), ("eom", eom), ("unknown", unknown), ("padding", padding),
         ("fim_pre", fimPrefix), ("fim_suf", fimSuffix), ("fim_mid", fimMiddle), ("fim_pad", fimPad),
         ("fim_rep", fimRepo), ("fim_sep", fimSeparator)]
    }
}

/// Token attributes derived from `tokenizer.ggml.token_type` (llama.cpp's llama_token_attr).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt8
    static let normal = TokenAttributes(rawValue: 1 << 0)
    static let unknown = TokenAttributes(rawValue: 1 << 1)
    static let control = TokenAttributes(rawValue: 1 << 2)
    static let userDefined = TokenAttributes(rawValue: 1 << 3)
    static let unused = TokenAttributes(rawValue: 1 << 4)
    static let byte = TokenAttributes(rawValue: 1 << 5)
    /// Whitespace before the token is dropped when it is matched in text (see SpecialTokenStrip).
    static let lstrip = TokenAttributes(rawValue: 1 << 6)
    /// Whitespace after the token is dropped when it is matched in text.
    static let rstrip = TokenAttributes(rawValue: 1 << 7)

    /// Unknown and control tokens: rendered only when special tokens are asked for.
    static let special: TokenAttributes = [.unknown, .control]
    /// Tokens recognized verbatim in text before BPE (llama.cpp's cache_special_tokens).
    static let matchedInText: TokenAttributes = [.unknown, .control, .userDefined]

    /// From the GGUF token type: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte;
    /// anything else (0 = undefined) has no attribute and renders as nothing.
    init(tokenType: Int) {
        switch tokenType {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }

    init(rawValue: UInt8) { self.rawValue = rawValue }
}
