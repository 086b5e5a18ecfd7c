import GGUF
import Kernels
import Quantization

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
    static func all(_ spec: SyntheticSpec, vocabularySize vocab: Int) throws -> [TensorPlan] {
        let s = spec.shape
        let embd = s.embeddingLength, kv = s.kvDimension, ff = s.feedForwardLength, qd = s.queryDimension
        let residual = 1 / Float(2 * s.blockCount).squareRoot()
        func matrix(_ name: String, rows: Int, cols: Int, scale: Float = 1) -> TensorPlan {
            TensorPlan(name: name, rows: rows, cols: cols, format: .f32, values: .uniform(std: scale / Float(cols).squareRoot()))
        }
        func norm(_ name: String, count: Int = embd) -> TensorPlan {
            TensorPlan(name: name, rows: 1, cols: count, format: .f32, values: .ones)
        }
        // Biases of about the size of the projection's output, so that a bias left out moves the logits visibly.
        func bias(_ weight: String, count: Int) -> TensorPlan {
            TensorPlan(name: TensorName.bias(weight), rows: 1, cols: count, format: .f32, values: .uniform(std: 0.5))
        }
        var plans = [matrix(TensorName.tokenEmbedding, rows: vocab, cols: embd)]
        if let rope = s.llama3Rope {
            let factors = rope.frequencyFactors(headDimension: s.headDimension, base: s.ropeFreqBase)
            plans.append(TensorPlan(name: TensorName.ropeFrequencies, rows: 1, cols: factors.count, format: .f32,
                                    values: .given(factors)))
        }
        for layer in 0..<spec.blockCount {
            plans += [
                norm(TensorName.attentionNorm(layer)),
                matrix(TensorName.attentionQ(layer), rows: qd, cols: embd),
                matrix(TensorName.attentionK(layer), rows: kv, cols: embd),
                matrix(TensorName.attentionV(layer), rows: kv, cols: embd),
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
                matrix(TensorName.attentionOutput(layer), rows: embd, cols: qd, scale: residual),
                norm(TensorName.ffnNorm(layer)),
                matrix(TensorName.ffnGate(layer), rows: ff, cols: embd),
                matrix(TensorName.ffnUp(layer), rows: ff, cols: embd),
                matrix(TensorName.ffnDown(layer), rows: embd, cols: ff, scale: residual),
            ]
        }
        plans.append(norm(TensorName.outputNorm))
        if !s.tiedOutput { plans.append(matrix(TensorName.output, rows: vocab, cols: embd)) }
        // Formats as llama-quantize would choose them for this file (a tied head is the embedding, which then
        // takes the head's format); norms stay f32.
        let facts = ModelFacts(blockCount: spec.blockCount, headCount: s.headCount, headCountKV: s.headCountKV)
        let formats = try TensorTypeRules.choose(plans.map { TensorShape(name: $0.name, dims: $0.dims) },
                                                 fileType: spec.type.fileType, pure: spec.type.pure, facts: facts)
        return zip(plans, formats).map { plan, format in
            TensorPlan(name: plan.name, rows: plan.rows, cols: plan.cols, format: format ?? .f32, values: plan.values)
        }
    }
}
