/// Mistral's official `[INST]` layouts as llama.cpp's llm_chat_apply_template renders them: v1, v3 and
/// v3-tekken differ only in where spaces go (and v3 trims assistant messages); v7 adds `[SYSTEM_PROMPT]`.
/// None writes a generation prompt: the prompt ends after `[/INST]`.
extension ChatTemplate {
    /// v1 / v3 / v3-tekken: a system message is written as a paragraph inside the next `[INST]`.
    func mistralV1V3(_ messages: [ChatMessage]) -> String {
        let leadingSpace = family == .mistralV1 ? " " : ""
        let trailingSpace = family == .mistralV3Tekken ? "" : " "
        let trimAssistant = family == .mistralV3
        var out = ""
        var insideTurn = false
        for m in messages {
            if !insideTurn {
                out += "\(leadingSpace)[INST]\(trailingSpace)"
                insideTurn = true
            }
            switch m.role {
            case "system": out += "\(m.content)\n\n"
            case "user": out += "\(m.content)\(leadingSpace)[/INST]"
            default:
                out += "\(trailingSpace)\(trimAssistant ? Self.trim(m.content) : m.content)</s>"
                insideTurn = false
            }
        }
        return out
    }

    /// v7 (with a space after each opening marker) and v7-tekken (without).
    func mistralV7(_ messages: [ChatMessage]) -> String {
        let space = family == .mistralV7 ? " " : ""
        var out = ""
        for m in messages {
            switch m.role {
            case "system": out += "[SYSTEM_PROMPT]\(space)\(m.content)[/SYSTEM_PROMPT]"
            case "user": out += "[INST]\(space)\(m.content)[/INST]"
            default: out += "\(space)\(m.content)</s>"
            }
        }
        return out
    }

    /// llama.cpp's choice among the `[INST]` layouts for a template that starts with "mistral" or contains
    /// "[INST]" (llm_chat_detect_template): v7 by `[SYSTEM_PROMPT]`; the official v1/v3/v3-tekken templates by
    /// their system-message or tools markers; otherwise Llama 2, whose variants are exclusive, strip first.
    static func detectInstLayout(_ text: String) -> ChatTemplate {
        if text.contains("[SYSTEM_PROMPT]") { return ChatTemplate(family: .mistralV7) }
        if text.contains("' [INST] ' + system_message") || text.contains("[AVAILABLE_TOOLS]") {
            if text.contains(" [INST]") { return ChatTemplate(family: .mistralV1) }
            if text.contains("\"[INST]\"") { return ChatTemplate(family: .mistralV3Tekken) }
            return ChatTemplate(family: .mistralV3)
        }
        var template = ChatTemplate(family: .llama2)
        if text.contains("content.strip()") {
            template.llama2 = .init(systemBlock: true, stripMessage: true)
        } else if text.contains("bos_token + '[INST]") {
            template.llama2 = .init(systemBlock: true, bosInsideHistory: true)
        } else {
            template.llama2 = .init(systemBlock: text.contains("<<SYS>>"))
        }
        return template
    }
}
