/// A sampling parameter outside its allowed range. The HTTP layer turns this into a 400 that names
/// `parameter`, so every case carries the offending name, the value received and the allowed range.
public enum SamplerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidParameter(parameter: String, value: String, allowed: String)

    /// The `SamplerParameters` property at fault (Swift spelling, e.g. `topP`).
    public var parameter: String {
        switch self {
        case .invalidParameter(let parameter, _, _): parameter
        }
    }

    public var description: String {
        switch self {
        case .invalidParameter(let parameter, let value, let allowed):
            "sampling parameter '\(parameter)' is \(value); allowed: \(allowed)"
        }
    }
}
