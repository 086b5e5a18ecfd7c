import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The C dot kernels of one instruction-set level. `selected` is the best the CPU runs, unless the
/// environment variable BATON_KERNELS (portable, avx2, avx512-vnni) asks for a lower one, e.g. to compare.
/// Invariant for `@unchecked Sendable`: the table is static, immutable C data.
public struct DotKernels: @unchecked Sendable {
    public let isa: Int32
    private let table: UnsafePointer<baton_dot_fn?>

    public init(isa: Int32) {
        self.isa = min(isa, baton_isa_best())
        table = baton_dot_table(self.isa)
    }

    public static let best = DotKernels(isa: baton_isa_best())
    public static let portable = DotKernels(isa: Int32(BATON_ISA_PORTABLE))
    /// Every level this CPU runs, lowest first.
    public static let available: [DotKernels] = (0...baton_isa_best()).map { DotKernels(isa: $0) }

    public static let selected: DotKernels = {
        guard let raw = getenv("BATON_KERNELS") else { return best }
        let name = String(cString: raw)
        guard let chosen = available.first(where: { $0.name == name }) else {
            let names = available.map(\.name).joined(separator: ", ")
            let message = "warning: BATON_KERNELS=\(name) is not a level this CPU runs (\(names)); using \(best.name)\n"
            _ = message.withCString { write(2, $0, strlen($0)) }  // standard error, before any logger exists
            return best
        }
        return chosen
    }()

    /// "portable", "avx2" or "avx512-vnni".
    public var name: String { String(cString: baton_isa_name(isa)) }

    /// Whether `format`'s matrices should be repacked into the interleaved layout for these kernels: where this
    /// level has interleaved kernels of its own (AVX-512 VNNI: every interleavable format, 2–3× its row kernels;
    /// AVX2: Q4_0, Q4_1, Q8_0 and Q4_K, 1.2–2×).
    public func prefersInterleaved(_ format: WeightFormat) -> Bool {
        guard let index = format.traits.interleaved else { return false }
        return baton_x16_native(isa, index) != 0
    }

    /// The kernel for `format`, nil for the float formats.
    func dot(_ format: WeightFormat) -> baton_dot_fn? {
        guard let index = format.traits.dot else { return nil }
        return table[Int(index)]
    }
}
