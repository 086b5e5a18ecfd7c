// The C math library, reached directly so the module needs no Foundation. `expf`/`logf` are what
// llama.cpp calls, which keeps our probabilities bit-comparable with its arithmetic where it matters.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@inline(__always) func exponential(_ x: Float) -> Float { expf(x) }
@inline(__always) func logarithm(_ x: Float) -> Float { logf(x) }
@inline(__always) func logarithm(_ x: Double) -> Double { log(x) }
