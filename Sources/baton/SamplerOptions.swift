import ArgumentParser
import Sampling

/// Sampler flags, named as llama.cpp names them.
struct SamplerOptions: ParsableArguments {
    @Option(help: "Temperature; 0 is greedy.") var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).") var topK: Int = 40
    @Option(name: .customLong("top-p"), help: "Keep the smallest set with this cumulative probability (1: off).") var topP: Float = 0.95
    @Option(name: .customLong("min-p"), help: "Drop tokens below this fraction of the best one's probability (0: off).") var minP: Float = 0.05
    @Option(name: .customLong("repeat-penalty"), help: "Penalize recently seen tokens (1: off).") var repeatPenalty: Float = 1.0
    @Option(name: .customLong("repeat-last-n"), help: "How many recent tokens the penalty looks at (-1: all).") var repeatLastN: Int = 64
    @Option(help: "Random seed.") var seed: UInt64 = 0

    /// The command-line flag of each sampler parameter, so an error names what the user typed.
    static let flags = ["temperature": "temperature", "topK": "top-k", "topP": "top-p", "minP": "min-p",
                        "repeatPenalty": "repeat-penalty", "repeatLastN": "repeat-last-n", "seed": "seed"]

    func parameters() throws -> SamplerParameters {
        var p = SamplerParameters()
        p.temperature = temperature
        p.topK = topK
        p.topP = topP
        p.minP = minP
        p.repeatPenalty = repeatPenalty
        p.repeatLastN = repeatLastN
        p.seed = seed
        do { try p.validate() } catch {
            throw ValidationError("--\(Self.flags[error.parameter] ?? error.parameter): \(error)")
        }
        return p
    }
}
