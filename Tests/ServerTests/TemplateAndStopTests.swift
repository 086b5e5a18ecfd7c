import Coordinator
@testable import Server
import XCTest

/// The pure parts: template family detection and rendering for the families SmolLM2 does not use, and the
/// stop-string matcher fed one piece at a time.
final class TemplateAndStopTests: XCTestCase {
    let conversation = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: " Hi "),
                        ChatMessage(role: "assistant", content: "Hello."), ChatMessage(role: "user", content: "Bye")]

    /// Llama 3 (markers as in Meta's template): headers, trimmed content, `<|eot_id|>`, the assistant header last.
    func testLlama3DetectedAndRendered() throws {
        let text = "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
            + "+ message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
        let template = try ChatTemplate.resolve(templateText: text, override: nil)
        XCTAssertEqual(template.family, .llama3)
        XCTAssertEqual(template.render(conversation),
                       "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                           + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                           + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                           + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                           + "<|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    /// Llama 2 with `<<SYS>>` and `bos_token + '[INST]` (Meta's Llama 2 chat template markers): as in llama.cpp
    /// the variants are exclusive, and `content.strip()` wins over BOS inside the history.
    func testLlama2VariantsDetectedAndRendered() throws {
        let text = "{% if messages[0]['role'] == 'system' %}<<SYS>>\\n{% endif %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
        let template = try ChatTemplate.resolve(templateText: text, override: nil)
        XCTAssertEqual(template.family, .llama2)
        XCTAssertTrue(template.llama2.systemBlock && !template.llama2.bosInsideHistory && template.llama2.stripMessage)
        XCTAssertEqual(template.render(conversation),
                       "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello.</s>[INST] Bye [/INST]")
        let plain = try ChatTemplate.resolve(templateText: nil, override: "llama2")
        XCTAssertEqual(plain.render(conversation), "[INST] Be brief.\n Hi  [/INST]Hello.</s>[INST] Bye [/INST]")
    }

    /// ChatML with a default system prompt only when the template has one; an override wins; unknown is an error.
    func testChatMLDefaultsOverridesAndErrors() throws {
        let plain = try ChatTemplate.resolve(templateText: "{{'<|im_start|>' + message['role'] + '\\n'}}", override: nil)
        XCTAssertEqual(plain.family, .chatml)
        XCTAssertNil(plain.defaultSystemPrompt)
        XCTAssertEqual(try ChatTemplate.resolve(templateText: "<|im_start|>", override: "llama3").family, .llama3)
        XCTAssertThrowsError(try ChatTemplate.resolve(templateText: "{{ messages }}", override: nil)) { error in
            XCTAssertTrue("\(error)".contains("--chat-template"))
        }
        XCTAssertThrowsError(try ChatTemplate.resolve(templateText: nil, override: nil))
        XCTAssertThrowsError(try ChatTemplate.resolve(templateText: nil, override: "vicuna"))
    }

    /// A stop string split over many pieces is cut out; text that only looked like its start is released.
    func testStopStringMatcherAcrossPieces() {
        var matcher = StopStringMatcher(["</end>", "STOP"])
        var out = ""
        for piece in ["Hello <", "/e", "nd", "> world"] { out += matcher.append(piece) }
        XCTAssertEqual(out, "Hello ")
        XCTAssertTrue(matcher.stopped)
        XCTAssertEqual(matcher.append("more"), "")

        var partial = StopStringMatcher(["STOP"])
        XCTAssertEqual(partial.append("a ST"), "a ")
        XCTAssertTrue(partial.isHolding)
        XCTAssertEqual(partial.append("OP? no, STAR"), "")
        XCTAssertTrue(partial.stopped)

        var released = StopStringMatcher(["STOP"])
        XCTAssertEqual(released.append("ST"), "")
        XCTAssertEqual(released.append("AR"), "STAR")
        XCTAssertEqual(released.append("S"), "")
        XCTAssertEqual(released.flush(), "S")

        var unicode = StopStringMatcher(["日本"])
        XCTAssertEqual(unicode.append("東京と日"), "東京と")
        XCTAssertEqual(unicode.append("本"), "")
        XCTAssertTrue(unicode.stopped)
    }
}
