/// An observer of the forward pass's intermediate tensors, each named as llama.cpp's graph names it
/// (`attn_norm-5`, `Qcur-5` after rope, `kqv_out-5`, `ffn_out-5`, `l_out-5`, `result_norm`, `result_output`), so
/// a run can be compared step by step with llama.cpp's `llama-eval-callback`. Values are token-major:
/// `rows` tokens of `rowLength` floats.
public struct TensorTap: Sendable {
    /// Whether tensors of this name are wanted (names are built only for a tap that is set).
    public let wants: @Sendable (String) -> Bool
    public let observe: @Sendable (_ name: String, _ values: UnsafeBufferPointer<Float>, _ rowLength: Int) -> Void

    public init(wants: @escaping @Sendable (String) -> Bool,
                observe: @escaping @Sendable (String, UnsafeBufferPointer<Float>, Int) -> Void) {
        self.wants = wants
        self.observe = observe
    }

    /// The tensor names of one layer, in the order the forward pass produces them.
    public static func layerNames(_ layer: Int) -> [String] {
        ["attn_norm", "Qcur", "Kcur", "Vcur", "kqv_out", "attn_out", "ffn_inp", "ffn_norm", "ffn_gate", "ffn_up",
         "ffn_swiglu", "ffn_out", "l_out"].map { "\($0)-\(layer)" }
    }
}

extension LlamaStage {
    /// Hands `rows × rowLength` floats at `values` to the tap, if one is set and wants `name`.
    @inline(__always)
    func emit(_ name: @autoclosure () -> String, _ values: UnsafePointer<Float>, rows: Int, rowLength: Int) {
        guard let tap else { return }
        let name = name()
        if tap.wants(name) { tap.observe(name, UnsafeBufferPointer(start: values, count: rows * rowLength), rowLength) }
    }
}
