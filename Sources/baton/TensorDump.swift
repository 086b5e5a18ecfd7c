import Foundation
import Llama

/// `--dump-tensors FILTER`: prints the forward pass's intermediate tensors in llama.cpp's `llama-eval-callback`
/// layout (name and shape, the first and last 3 values of the first and last 3 rows, and the f32 sum), so the two
/// outputs can be compared line by line to find the step where the numbers first part.
enum TensorDump {
    /// FILTER: "all", or comma-separated pieces of names ("l_out,Qcur-3").
    static func tap(filter: String) -> TensorTap {
        let pieces = filter.split(separator: ",").map(String.init)
        return TensorTap(wants: { name in filter == "all" || pieces.contains { name.contains($0) } },
                         observe: { name, values, rowLength in
            FileHandle.standardError.write(Data(render(name, values, rowLength: rowLength).utf8))
        })
    }

    static func render(_ name: String, _ values: UnsafeBufferPointer<Float>, rowLength: Int) -> String {
        let rows = rowLength > 0 ? values.count / rowLength : 0
        var sum: Float = 0
        for v in values { sum += v }
        var out = "tensor \(name) = {\(rowLength), \(rows)}\n    [\n"
        for r in shown(rows) {
            guard let r else { out += "        ..., \n"; continue }
            let row = shown(rowLength).map { c in c.map { String(format: "%12.4f", values[r * rowLength + $0]) } ?? "   ..." }
            out += "        [" + row.joined(separator: ", ") + "  ],\n"
        }
        return out + "    ]\n    sum = \(String(format: "%f", sum))\n"
    }

    /// Indices llama.cpp prints of n: all when n ≤ 6, else the first 3, a gap (nil) and the last 3.
    private static func shown(_ n: Int) -> [Int?] {
        n <= 6 ? Array(0..<n) : [0, 1, 2, nil, n - 3, n - 2, n - 1]
    }
}
