import Llama
import Sampling
import Wire

/// Conversions between the wire's message values and the engine's own types, in one place.
extension SamplerParameters {
    public init(_ wire: SamplerParams) {
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

    public var wire: SamplerParams {
        var w = SamplerParams()
        w.temperature = temperature
        w.topK = Int32(clamping: topK)
        w.topP = topP
        w.minP = minP
        w.repeatPenalty = repeatPenalty
        w.repeatLastN = Int32(clamping: repeatLastN)
        w.presencePenalty = presencePenalty
        w.frequencyPenalty = frequencyPenalty
        w.seed = seed
        return w
    }
}

extension Llama.KVType {
    public init?(_ wire: Wire.KVType) {
        switch wire {
        case .f16: self = .f16
        case .f32: self = .f32
        default: return nil
        }
    }

    public var wire: Wire.KVType { self == .f16 ? .f16 : .f32 }
}

extension Wire.TokenLogprob {
    init(_ t: TokenLogprob) { self.init(tokenID: t.id, logprob: t.logprob) }
}

extension TokenLogprob {
    public init(_ t: Wire.TokenLogprob) { self.init(id: t.tokenID, logprob: t.logprob) }
}
