// Physical core count, for choosing a default thread count: SMT siblings share the vector units the
// kernels saturate, so one thread per physical core is the useful maximum.

#if canImport(Glibc)
import Glibc
#endif

enum CPUTopology {
    static func physicalCores() -> Int {
        if let text = readTextFile("/proc/cpuinfo"), let cores = coresFromCPUInfo(text), cores > 0 {
            return cores
        }
        if let cores = coresFromSysfs(), cores > 0 { return cores }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Unique (physical id, core id) pairs; nil when the file has no core ids (some VMs, non-x86).
    static func coresFromCPUInfo(_ text: String) -> Int? {
        var pairs = Set<String>()
        var physical = "0"
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: " \t")
            let value = parts[1].trimmingCharacters(in: " \t")
            if key == "physical id" { physical = value }
            if key == "core id" { pairs.insert(physical + "/" + value) }
        }
        return pairs.isEmpty ? nil : pairs.count
    }

    private static func coresFromSysfs() -> Int? {
        var pairs = Set<String>()
        for cpu in 0..<4096 {
            let base = "/sys/devices/system/cpu/cpu\(cpu)/topology/"
            guard let core = readTextFile(base + "core_id") else { break }
            let package = readTextFile(base + "physical_package_id") ?? "0"
            pairs.insert(package.trimmingCharacters(in: " \n") + "/" + core.trimmingCharacters(in: " \n"))
        }
        return pairs.isEmpty ? nil : pairs.count
    }

    /// A small text file's contents (procfs files report size 0, so read until EOF).
    static func readTextFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(self).trimmingCharacters(in: set)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
