import Engine
import Llama
import Sampling
import Wire

/// The engine's types as the wire's message values, for what the coordinator sends, and results back (the
/// worker's half is Worker/WireConversions.swift).
extension SamplerParameters {
    var wire: SamplerParams {
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

extension OpenSession {
    /// The request that opens `session` with `options` on a stage.
    init(_ session: UInt64, _ options: SessionOptions) {
        self.init(sessionID: session, contextLength: UInt32(clamping: options.contextLength), sampler: options.sampler.wire,
                  topLogprobs: UInt32(clamping: options.topLogprobs))
        skipLogprobs = !options.logprobs && options.topLogprobs == 0
    }
}

extension Llama.KVType {
    var wire: Wire.KVType { self == .f16 ? .f16 : .f32 }
}

extension Sampling.TokenLogprob {
    init(_ t: Wire.TokenLogprob) { self.init(id: t.tokenID, logprob: t.logprob) }
}
