import CBatonProto

/// Wire protocol version. The numbers live in proto/baton.proto (enums ProtocolMajor/ProtocolMinor) so
/// the schema and the code can never disagree.
public struct ProtocolVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    /// The version this build speaks.
    public static let current = ProtocolVersion(
        major: BATON__V1__PROTOCOL_MAJOR__PROTOCOL_MAJOR_CURRENT.rawValue,
        minor: BATON__V1__PROTOCOL_MINOR__PROTOCOL_MINOR_CURRENT.rawValue)

    public var description: String { "\(major).\(minor)" }

    public static func < (a: ProtocolVersion, b: ProtocolVersion) -> Bool {
        (a.major, a.minor) < (b.major, b.minor)
    }

    /// Why `self` (spoken by `localRole`) cannot talk to `remote` (spoken by `remoteRole`), naming the
    /// side that must upgrade; nil when compatible. Minors may differ: a minor only adds what an older
    /// peer can ignore, and optional features are negotiated through capabilities.
    public func refusal(talkingTo remote: ProtocolVersion, localRole: Role, remoteRole: Role) -> String? {
        guard major != remote.major else { return nil }
        let older = major < remote.major ? localRole : remoteRole
        let newer = major < remote.major ? remoteRole : localRole
        return "protocol version mismatch: this \(localRole) speaks \(self), the \(remoteRole) speaks "
            + "\(remote); majors differ, so upgrade the \(older) to the \(newer)'s Baton version"
    }
}
