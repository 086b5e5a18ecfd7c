/// A `Duration` in the units logs, metrics and reports print (Swift gives only seconds + attoseconds).
extension Duration {
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    public var milliseconds: Double { seconds * 1e3 }
    /// Whole microseconds, truncated; saturating for durations no clock measures.
    public var microseconds: Int64 {
        let (s, atto) = components
        let (whole, overflow) = s.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? (s < 0 ? .min : .max) : whole &+ atto / 1_000_000_000_000
    }
}
