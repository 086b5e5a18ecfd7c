/// Hand-written equivalents of the two big pre-tokenizer regexes, ported branch for branch from
/// llama.cpp's unicode_regex_split_custom_gpt2 / _llama3 so that edge cases (a lone trailing space,
/// whitespace before a word, `'S` vs `'s`) split exactly as there. Positions are code-point indices;
/// a position at or past the fragment end has no class and no scalar.
enum WordScanner {
    private static let apostrophe: UInt32 = 0x27
    private static let space: UInt32 = 0x20
    private static let cr: UInt32 = 0x0D
    private static let lf: UInt32 = 0x0A

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
    static func gpt2(_ text: ScalarText, _ range: Range<Int>, into out: inout [Range<Int>]) {
        var pos = range.lowerBound
        func emit(_ end: Int) {
            if end > pos { out.append(pos..<end) }
            pos = end
        }
        while pos < range.upperBound {
            let scalar = text.scalars[pos]
            let cls = text.classes[pos]
            if let end = contraction(text, at: pos, in: range, caseInsensitive: false) {
                emit(end)
                continue
            }
            // An optional leading space, then a run of one class.
            let first = scalar == space ? pos + 1 : pos
            let firstClass = scalar == space ? text.classAt(pos + 1, in: range) : cls
            if firstClass.contains(.letter) || firstClass.contains(.number) {
                let run: CodepointClass = firstClass.contains(.letter) ? .letter : .number
                var end = first
                while text.classAt(end, in: range).contains(run) { end += 1 }
                emit(end)
                continue
            }
            if isOther(firstClass) {
                var end = first
                while isOther(text.classAt(end, in: range)) { end += 1 }
                emit(end)
                continue
            }
            emit(whitespaceEnd(text, at: pos, in: range))
        }
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// with `maxDigits` = 3 (llama.cpp's unicode_regex_split_custom_llama3); Qwen 2's regex is the same
    /// with `\p{N}` for `\p{N}{1,3}`, i.e. `maxDigits` = 1 (unicode_regex_split_custom_qwen2, otherwise identical).
    static func llama3(_ text: ScalarText, _ range: Range<Int>, into out: inout [Range<Int>], maxDigits: Int = 3) {
        var pos = range.lowerBound
        func emit(_ end: Int) {
            if end > pos { out.append(pos..<end) }
            pos = end
        }
        while pos < range.upperBound {
            let scalar = text.scalars[pos]
            let cls = text.classes[pos]
            if let end = contraction(text, at: pos, in: range, caseInsensitive: true) {
                emit(end)
                continue
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(scalar == cr || scalar == lf || cls.contains(.number))
                && (cls.contains(.letter) || text.classAt(pos + 1, in: range).contains(.letter)) {
                var end = pos + 1
                while text.classAt(end, in: range).contains(.letter) { end += 1 }
                emit(end)
                continue
            }
            // \p{N}{1,maxDigits}
            if cls.contains(.number) {
                var end = pos
                while text.classAt(end, in: range).contains(.number) && end - pos < maxDigits { end += 1 }
                emit(end)
                continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first class of the *current* code point
            // here, which is always set; a lone trailing space therefore ends up as its own word)
            let first = scalar == space ? pos + 1 : pos
            let firstClass = scalar == space ? text.classAt(pos + 1, in: range) : cls
            if firstClass.isDisjoint(with: .wordLike) {
                var end = first
                while isOther(text.classAt(end, in: range)) { end += 1 }
                while text.scalarAt(end, in: range) == cr || text.scalarAt(end, in: range) == lf { end += 1 }
                emit(end)
                continue
            }
            // \s*[\r\n]+ : whitespace up to and including the last line break of the run.
            var count = 0
            var afterLastBreak = 0
            while text.classAt(pos + count, in: range).contains(.whitespace) {
                let s = text.scalars[pos + count]
                if s == cr || s == lf { afterLastBreak = pos + count + 1 }
                count += 1
            }
            if afterLastBreak > 0 {
                emit(afterLastBreak)
                continue
            }
            emit(whitespaceEnd(text, at: pos, in: range))
        }
    }

    /// `[^\s\p{L}\p{N}]` for a real code point.
    @inline(__always)
    private static func isOther(_ cls: CodepointClass) -> Bool {
        cls.contains(.inRange) && cls.isDisjoint(with: .wordLike)
    }

    /// `\s+(?!\S)|\s+`: a whitespace run, leaving its last code point for the next word when a
    /// non-space follows inside the fragment; a single code point when there is no whitespace at all.
    private static func whitespaceEnd(_ text: ScalarText, at pos: Int, in range: Range<Int>) -> Int {
        var count = 0
        while text.classAt(pos + count, in: range).contains(.whitespace) { count += 1 }
        if count > 1 && pos + count < range.upperBound { return pos + count - 1 }
        return pos + max(count, 1)
    }

    /// End of `'s|'t|'re|'ve|'m|'ll|'d` at `pos`, nil when there is none.
    private static func contraction(_ text: ScalarText, at pos: Int, in range: Range<Int>,
                                    caseInsensitive: Bool) -> Int? {
        guard text.scalars[pos] == apostrophe, pos + 1 < range.upperBound else { return nil }
        func letter(_ i: Int) -> UInt32 {
            let s = text.scalarAt(i, in: range)
            // Only ASCII letters lower-case to the letters tested here.
            return caseInsensitive && (0x41...0x5A).contains(s) ? s + 0x20 : s
        }
        let next = letter(pos + 1)
        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return pos + 2 }  // s t m d
        guard pos + 2 < range.upperBound else { return nil }
        let after = letter(pos + 2)
        if (next == 0x72 && after == 0x65) || (next == 0x76 && after == 0x65) || (next == 0x6C && after == 0x6C) {
            return pos + 3  // re ve ll
        }
        return nil
    }
}
