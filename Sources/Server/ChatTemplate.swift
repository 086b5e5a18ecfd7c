/// Renders chat messages into a prompt the way llama.cpp's built-in (pre-Jinja) templates do, for the
/// families Baton knows. BOS is not written here: the tokenizer adds it when the model asks for it.
public struct ChatTemplate: Sendable, Equatable {
    public enum Family: String, Sendable, CaseIterable {
        case chatml, llama3, llama2
        case mistralV1 = "mistral-v1", mistralV3 = "mistral-v3", mistralV3Tekken = "mistral-v3-tekken"
        case mistralV7 = "mistral-v7", mistralV7Tekken = "mistral-v7-tekken"
    }

    /// The Llama 2 `[INST]` variants llama.cpp tells apart by the template's text.
    public struct Llama2Variant: Sendable, Equatable {
        /// `<<SYS>>` blocks; without them a system message is written as plain text before the first user turn.
        public var systemBlock = false
        /// `<s>[INST]` opens every turn after the first.
        public var bosInsideHistory = false
        /// Message contents are trimmed.
        public var stripMessage = false
        public init(systemBlock: Bool = false, bosInsideHistory: Bool = false, stripMessage: Bool = false) {
            self.systemBlock = systemBlock
            self.bosInsideHistory = bosInsideHistory
            self.stripMessage = stripMessage
        }
    }

    public var family: Family
    /// A system message written when the conversation does not start with one (SmolLM2's ChatML template).
    public var defaultSystemPrompt: String?
    public var llama2 = Llama2Variant()

    public init(family: Family, defaultSystemPrompt: String? = nil) {
        self.family = family
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The prompt for `messages`, ending with the assistant's turn opening when `addGenerationPrompt`.
    func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        switch family {
        case .chatml: chatML(messages, addGenerationPrompt)
        case .llama3: llama3(messages, addGenerationPrompt)
        case .llama2: llama2(messages)
        case .mistralV1, .mistralV3, .mistralV3Tekken: mistralV1V3(messages)
        case .mistralV7, .mistralV7Tekken: mistralV7(messages)
        }
    }

    private func chatML(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = ""
        if let system = defaultSystemPrompt, messages.first?.role != "system" {
            out += "<|im_start|>system\n\(system)<|im_end|>\n"
        }
        for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
        if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private func llama3(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var out = ""
        for m in messages {
            out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(Self.trim(m.content))<|eot_id|>"
        }
        if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    /// Llama 2 has no generation prompt: the prompt ends after `[/INST]`.
    private func llama2(_ messages: [ChatMessage]) -> String {
        var out = "[INST] "
        var insideTurn = true
        for m in messages {
            let content = llama2.stripMessage ? Self.trim(m.content) : m.content
            if !insideTurn {
                insideTurn = true
                out += llama2.bosInsideHistory ? "<s>[INST] " : "[INST] "
            }
            switch m.role {
            case "system": out += llama2.systemBlock ? "<<SYS>>\n\(content)\n<</SYS>>\n\n" : "\(content)\n"
            case "user": out += "\(content) [/INST]"
            default:
                out += "\(content)</s>"
                insideTurn = false
            }
        }
        return out
    }

    /// Leading and trailing ASCII whitespace removed, as llama.cpp's `trim` (C `isspace`).
    static func trim(_ s: String) -> String {
        let space: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !space.contains($0) }),
              let last = scalars.lastIndex(where: { !space.contains($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
