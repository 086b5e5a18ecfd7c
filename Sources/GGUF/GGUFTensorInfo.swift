/// Where one tensor's data lives and how it is laid out. `dims` is ggml's `ne`: innermost (row length) first,
/// so a weight matrix of `rows × cols` has `dims == [cols, rows]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let dims: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the tensor-data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { dims.reduce(1, *) }
    public var rowLength: Int { dims[0] }
    public var rowCount: Int { elementCount / dims[0] }
    public var rowBytes: Int { byteCount / rowCount }
}
