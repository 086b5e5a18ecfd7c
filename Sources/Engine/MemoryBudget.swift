import Foundation

/// How much memory a worker offers for its stage (`--max-memory`).
public enum MemoryBudget {
    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public var description: String {
            "'\(text)' is not a memory size: write a number with an optional unit K, M, G or T (binary, e.g. 6G, 1.5G, 512M)"
        }
    }

    /// "6G", "1.5GiB", "512M", "800000000" → bytes (units are powers of 1024).
    public static func parse(_ text: String) throws -> Int {
        var number = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        for suffix in ["IB", "B"] where number.hasSuffix(suffix) { number = number.dropLast(suffix.count); break }
        var scale = 1.0
        if let unit = number.last, let power = "KMGT".firstIndex(of: unit) {
            scale = Double(1 << (10 * ("KMGT".distance(from: "KMGT".startIndex, to: power) + 1)))
            number = number.dropLast()
        }
        guard let value = Double(number), value > 0, value * scale < Double(Int.max) else { throw ParseError(text: text) }
        return Int(value * scale)
    }

    /// The default: the machine's available memory minus a margin for everything else (10%, at least 512 MiB).
    public static func machineDefault() -> Int {
        let memory = SystemMemory.machine()
        let margin = max(Int(memory.total / 10), 512 << 20)
        return max(Int(clamping: memory.available) - margin, 0)
    }
}
