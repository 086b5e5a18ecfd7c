/// Places to cut a GGUF image: field boundaries found by a deliberately separate, minimal walk of the header
/// (not the parser under test), so the truncation test does not trust what it tests.
struct HeaderWalker {
    struct Cut { var offset: Int; var label: String }

    private let bytes: [UInt8]
    private var at = 0
    private(set) var cuts: [Cut] = []
    /// Field-by-field cuts for these tensor entries; every other entry gets one cut, at its start (each such cut
    /// re-parses the whole ~1.8 MB of metadata, so they are kept few).
    private let detailedTensors: (Int) -> Bool

    init(_ bytes: [UInt8], detailedTensors: @escaping (Int) -> Bool) {
        self.bytes = bytes
        self.detailedTensors = detailedTensors
    }

    /// Walks magic, version, counts, metadata and tensor entries; returns where the tensor data starts.
    mutating func walk(alignment: Int = 32) -> Int {
        field(4, "magic"); field(4, "version")
        let tensorCount = u64("tensor count"), kvCount = u64("kv count")
        for index in 0..<kvCount {
            let key = string("key #\(index)")
            let type = u32("type of \(key)")
            value(type, key)
        }
        for index in 0..<tensorCount {
            let detailed = detailedTensors(Int(index))
            if !detailed { cuts.append(Cut(offset: at, label: "start of tensor #\(index)")) }
            let name = string("tensor #\(index)", record: detailed)
            let dims = u32("n_dims of \(name)", record: detailed)
            for d in 0..<dims { _ = u64("dim \(d) of \(name)", record: detailed) }
            _ = u32("type of \(name)", record: detailed)
            _ = u64("offset of \(name)", record: detailed)
        }
        return (at + alignment - 1) / alignment * alignment
    }

    /// Records a cut at the field's start and one inside it, then steps over it.
    private mutating func field(_ size: Int, _ label: String, record: Bool = true) {
        if record {
            cuts.append(Cut(offset: at, label: "start of \(label)"))
            if size > 1 { cuts.append(Cut(offset: at + size / 2, label: "inside \(label)")) }
        }
        at += size
    }

    private mutating func u32(_ label: String, record: Bool = true) -> UInt32 {
        let value = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
        field(4, label, record: record)
        return value
    }

    private mutating func u64(_ label: String, record: Bool = true) -> UInt64 {
        let value = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
        field(8, label, record: record)
        return value
    }

    private mutating func string(_ label: String, record: Bool = true) -> String {
        let length = Int(u64("length of \(label)", record: record))
        let text = String(decoding: bytes[at..<(at + length)], as: UTF8.self)
        field(length, "bytes of \(label)", record: record && length > 0)
        return text
    }

    private mutating func value(_ type: UInt32, _ key: String, record: Bool = true) {
        let sizes: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]
        if let size = sizes[type] { return field(size, "value of \(key)", record: record) }
        if type == 8 { _ = string("value of \(key)", record: record); return }
        // An array: its header, then cuts around the first three, the middle and the last element.
        let element = u32("element type of \(key)", record: record)
        let count = u64("length of \(key)", record: record)
        let sampled: Set = [0, 1, 2, count / 2, count &- 1]
        for index in 0..<count {
            value(element, "\(key)[\(index)]", record: record && sampled.contains(index))
        }
        if record { cuts.append(Cut(offset: at - 1, label: "last byte of \(key)")) }
    }
}
