import GGUF
import Kernels

/// One tensor of a synthetic model: its name, shape, type and how its values are drawn.
struct TensorPlan: Sendable, Equatable {
    enum Values: Sendable, Equatable {
        /// Every weight 1 (RMS norm weights: the norm then only normalizes).
        case ones
        /// Uniform with this standard deviation.
        case uniform(std: Float)
        /// Exactly these values (a single row: Llama 3's rope frequency factors).
        case given([Float])
    }

    let name: String
    let rows: Int
    let cols: Int
    let format: WeightFormat
    let values: Values

    var ggmlType: GGMLType { GGMLType(rawValue: format.traits.ggmlType) ?? .f32 }
    /// ggml's `ne`: the row length first.
    var dims: [Int] { rows == 1 ? [cols] : [cols, rows] }
    var rowBytes: Int { cols / format.blockSize * format.blockBytes }
    var byteCount: Int { rows * rowBytes }

    /// The uniform distribution's half-width: std = a / √3.
    var amplitude: Float {
        if case .uniform(let std) = values { return std * 1.7320508 }
        return 0
    }
}

extension TensorPlan {
    /// Every tensor of the model in file order (embedding, blocks in forward order, output norm, output).
    ///
    /// Scales keep activations near unit size through any depth: inputs to a matrix are RMS-normalized (norm
    /// weights 1), so std 1/√n_in gives outputs of std ≈ 1 (attention logits ≈ 1 after the 1/√d scale, logits
    /// ≈ 1 through the head). The two projections that write into the residual stream (attn_output, ffn_down)
    /// get a further 1/√(2·layers), as in GPT-2's initialization, so the stream's RMS stays ≈ 1 after all
    /// layers instead of growing with depth. The published layer count is used, so `--layers` only truncates.
    static func all(_ spec: SyntheticSpec, vocabularySize vocab: Int) -> [TensorPlan] {
        let s = spec.shape, type = spec.type
        let embd = s.embeddingLength, kv = s.kvDimension, ff = s.feedForwardLength, qd = s.queryDimension
        let residual = 1 / Float(2 * s.blockCount).squareRoot()
        func matrix(_ name: String, rows: Int, cols: Int, scale: Float = 1, role: MatrixRole = .other,
                    layer: Int? = nil) -> TensorPlan {
            let format = type.format(role: role, layer: layer, layers: spec.blockCount, cols: cols)
            return TensorPlan(name: name, rows: rows, cols: cols, format: format,
                              values: .uniform(std: scale / Float(cols).squareRoot()))
        }
        func norm(_ name: String, count: Int = embd) -> TensorPlan {
            TensorPlan(name: name, rows: 1, cols: count, format: .f32, values: .ones)
        }
        // Biases of about the size of the projection's output, so that a bias left out moves the logits visibly.
        func bias(_ weight: String, count: Int) -> TensorPlan {
            TensorPlan(name: TensorName.bias(weight), rows: 1, cols: count, format: .f32, values: .uniform(std: 0.5))
        }
        // A tied head is the embedding: it takes the head's format, as llama-quantize gives token_embd then.
        var plans = [matrix(TensorName.tokenEmbedding, rows: vocab, cols: embd, role: s.tiedOutput ? .output : .other)]
        if let rope = s.llama3Rope {
            let factors = rope.frequencyFactors(headDimension: s.headDimension, base: s.ropeFreqBase)
            plans.append(TensorPlan(name: TensorName.ropeFrequencies, rows: 1, cols: factors.count, format: .f32,
                                    values: .given(factors)))
        }
        for layer in 0..<spec.blockCount {
            plans += [
                norm(TensorName.attentionNorm(layer)),
                matrix(TensorName.attentionQ(layer), rows: qd, cols: embd, layer: layer),
                matrix(TensorName.attentionK(layer), rows: kv, cols: embd, layer: layer),
                matrix(TensorName.attentionV(layer), rows: kv, cols: embd, role: .attentionV, layer: layer),
            ]
            if s.hasQKVBias {
                plans += [bias(TensorName.attentionQ(layer), count: qd), bias(TensorName.attentionK(layer), count: kv),
                          bias(TensorName.attentionV(layer), count: kv)]
            }
            if s.hasQKNorm {
                plans += [norm(TensorName.attentionQNorm(layer), count: s.headDimension),
                          norm(TensorName.attentionKNorm(layer), count: s.headDimension)]
            }
            plans += [
                matrix(TensorName.attentionOutput(layer), rows: embd, cols: qd, scale: residual, layer: layer),
                norm(TensorName.ffnNorm(layer)),
                matrix(TensorName.ffnGate(layer), rows: ff, cols: embd, layer: layer),
                matrix(TensorName.ffnUp(layer), rows: ff, cols: embd, layer: layer),
                matrix(TensorName.ffnDown(layer), rows: embd, cols: ff, scale: residual, role: .ffnDown, layer: layer),
            ]
        }
        plans.append(norm(TensorName.outputNorm))
        if !s.tiedOutput { plans.append(matrix(TensorName.output, rows: vocab, cols: embd, role: .output)) }
        return plans
    }
}
