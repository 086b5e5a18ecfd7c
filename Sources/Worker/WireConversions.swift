import Llama
import Sampling
import Wire

/// The wire's message values as the engine's types, for what a worker receives (the coordinator's half, the
/// other direction, is Coordinator/WireConversions.swift).
extension SamplerParameters {
    init(_ wire: SamplerParams) {
        self.init()
        temperature = wire.temperature
        topK = Int(wire.topK)
        topP = wire.topP
        minP = wire.minP
        repeatPenalty = wire.repeatPenalty
        repeatLastN = Int(wire.repeatLastN)
        presencePenalty = wire.presencePenalty
        frequencyPenalty = wire.frequencyPenalty
        seed = wire.seed
    }
}

extension Llama.KVType {
    init?(_ wire: Wire.KVType) {
        switch wire {
        case .f16: self = .f16
        case .f32: self = .f32
        default: return nil
        }
    }
}

extension Wire.TokenLogprob {
    init(_ t: Sampling.TokenLogprob) { self.init(tokenID: t.id, logprob: t.logprob) }
}
