/// The protocol's Error message: a reply to any control request, or a failure travelling down the
/// data ring (then `sessionID`, `step` and `stageIndex` say which chunk failed where).
public struct ErrorMessage: Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// 0 = not about a session.
    public var sessionID: UInt64
    public var step: UInt64
    public var stageIndex: UInt32

    public init(code: ErrorCode, message: String, sessionID: UInt64 = 0, step: UInt64 = 0, stageIndex: UInt32 = 0) {
        self.code = code
        self.message = message
        self.sessionID = sessionID
        self.step = step
        self.stageIndex = stageIndex
    }

    public var description: String {
        let place = sessionID == 0 ? "" : " (session \(sessionID), step \(step), stage \(stageIndex))"
        return "\(code): \(message)\(place)"
    }
}

/// Codes a newer peer sends that this build does not know decode as `.unknown`.
public enum ErrorCode: UInt32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    case unknown = 1
    case badRequest = 2
    case versionMismatch = 3
    case unknownSession = 4
    case contextExceeded = 5
    case tooLarge = 6
    case loadFailed = 7
    case notLoaded = 8
    case resourceExhausted = 9
    case sessionExists = 10
    case unsupported = 11
    case `internal` = 12
    case shuttingDown = 13
    /// The sender's key does not own the loaded stage (1.2).
    case permissionDenied = 14
}
