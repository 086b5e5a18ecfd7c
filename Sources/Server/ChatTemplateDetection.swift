/// Picks a chat template family from the GGUF's `tokenizer.chat_template` text by the markers llama.cpp looked
/// for before it ran Jinja (`llm_chat_detect_template`), or from an explicit name.
public enum ChatTemplateError: Error, Equatable, CustomStringConvertible {
    case undetectable(String?)
    case unknownName(String)

    public var description: String {
        switch self {
        case .undetectable(nil):
            "the model has no tokenizer.chat_template: pass --chat-template chatml|llama3|llama2|mistral-v7 (or another name --help lists)"
        case .undetectable(let text?):
            "cannot tell the chat template family from the model's tokenizer.chat_template (\(text.prefix(60))…): "
                + "pass --chat-template chatml|llama3|llama2|mistral-v7 (or another name --help lists)"
        case .unknownName(let name):
            "unknown chat template '\(name)': use chatml, llama3, llama2, llama2-sys, llama2-sys-bos, llama2-sys-strip, "
                + "mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7 or mistral-v7-tekken"
        }
    }
}

extension ChatTemplate {
    /// The template for a model: `override` (a family name) wins; otherwise the family is detected from `text`.
    /// The ChatML default system prompt and the Llama 2 variant flags are read from `text` when it is there.
    public static func resolve(templateText text: String?, override: String?) throws -> ChatTemplate {
        var template: ChatTemplate
        if let override {
            template = try named(override)
        } else if let text, let detected = detect(text) {
            template = detected
        } else {
            throw ChatTemplateError.undetectable(text)
        }
        if template.family == .chatml, let text, text.contains("<|im_start|>") {
            template.defaultSystemPrompt = defaultSystemPrompt(in: text)
        }
        return template
    }

    static func named(_ name: String) throws -> ChatTemplate {
        var template: ChatTemplate
        switch name {
        case "chatml": template = ChatTemplate(family: .chatml)
        case "llama3": template = ChatTemplate(family: .llama3)
        case "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "mistral":
            template = ChatTemplate(family: .llama2)
            template.llama2.systemBlock = name != "llama2"
            template.llama2.bosInsideHistory = name == "llama2-sys-bos"
            template.llama2.stripMessage = name == "llama2-sys-strip"
        default:
            guard let family = Family(rawValue: name) else { throw ChatTemplateError.unknownName(name) }
            template = ChatTemplate(family: family)
        }
        return template
    }

    /// llama.cpp's llm_chat_detect_template for the families Baton renders: a text that is itself a template
    /// name, then the marker checks in llama.cpp's order; nil where llama.cpp picks a family Baton lacks.
    static func detect(_ text: String) -> ChatTemplate? {
        if llamaCppNames.contains(text) { return try? named(text) }
        if text.contains("<|im_start|>") {
            // Phi-4 (<|im_sep|>) and SmolVLM (<end_of_utterance>) share the markers but are not ChatML.
            return text.contains("<|im_sep|>") || text.contains("<end_of_utterance>") ? nil : ChatTemplate(family: .chatml)
        }
        if text.hasPrefix("mistral") || text.contains("[INST]") { return detectInstLayout(text) }
        if claimedBeforeLlama3(text) { return nil }
        if text.contains("<|start_header_id|>") && text.contains("<|end_header_id|>") {
            return ChatTemplate(family: .llama3)
        }
        return nil
    }

    /// The names llama.cpp accepts in place of a template text, for the families Baton renders.
    static let llamaCppNames: Set<String> = [
        "chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip", "mistral-v1", "mistral-v3",
        "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken", "llama3",
    ]

    /// Whether one of the families llama.cpp tests for between `[INST]` and Llama 3 matches (Phi-3, ChatGLM 4,
    /// Falcon 3 / GLM-Edge / EXAONE, Zephyr, Monarch, Gemma, Orion, OpenChat, Vicuna, DeepSeek, Command R):
    /// llama.cpp would render those, so a Llama 3 marker further down must not win.
    static func claimedBeforeLlama3(_ text: String) -> Bool {
        let all: [[String]] = [
            ["<|assistant|>", "<|end|>"], ["[gMASK]<sop>"], ["<|assistant|>", "<|user|>"],
            ["<|{{ item['role'] }}|>", "<|begin_of_image|>"], ["<|user|>", "<|endoftext|>"],
            ["bos_token + message['role']"], ["<start_of_turn>"], ["'\\n\\nAssistant: ' + eos_token"],
            ["GPT4 Correct "], ["USER: ", "ASSISTANT: "], ["### Instruction:", "<|EOT|>"],
            ["<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>"],
        ]
        return all.contains { markers in markers.allSatisfy { text.contains($0) } }
    }

    /// The system message a ChatML template writes when the first message is not a system message, as in
    /// SmolLM2's `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n…<|im_end|>\n' }}`.
    static func defaultSystemPrompt(in text: String) -> String? {
        guard text.contains("!= 'system'") || text.contains("!= \"system\"") else { return nil }
        guard let open = text.range(of: "<|im_start|>system") else { return nil }
        var rest = text[open.upperBound...]
        if rest.hasPrefix("\\n") { rest = rest.dropFirst(2) } else if rest.hasPrefix("\n") { rest = rest.dropFirst() } else { return nil }
        guard let close = rest.range(of: "<|im_end|>") else { return nil }
        let literal = rest[..<close.lowerBound]
        // A literal inside a Jinja expression cannot span a quote or an expression end; if it does, this was not one.
        guard !literal.contains("{{"), !literal.contains("}}"), !literal.contains("{%") else { return nil }
        return unescapeJinja(String(literal))
    }

    /// Backslash escapes of a Jinja string literal.
    static func unescapeJinja(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
