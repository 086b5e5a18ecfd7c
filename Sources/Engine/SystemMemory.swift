import Foundation

/// Memory figures from /proc, for HelloReply/HealthReply and peak-RSS reports.
public enum SystemMemory {
    /// (available, total) bytes of this machine, from /proc/meminfo; zeros where unreadable.
    public static func machine() -> (available: UInt64, total: UInt64) {
        let fields = parse("/proc/meminfo")
        return (fields["MemAvailable"] ?? 0, fields["MemTotal"] ?? 0)
    }

    /// Current and peak resident set of a process (VmRSS, VmHWM), in bytes.
    public static func resident(pid: String = "self") -> (current: UInt64, peak: UInt64) {
        let fields = parse("/proc/\(pid)/status")
        return (fields["VmRSS"] ?? 0, fields["VmHWM"] ?? 0)
    }

    /// "Key:   123 kB" lines → bytes.
    private static func parse(_ path: String) -> [String: UInt64] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let words = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = words.first, let value = UInt64(first) else { continue }
            out[String(parts[0])] = words.count > 1 && words[1] == "kB" ? value * 1024 : value
        }
        return out
    }
}
