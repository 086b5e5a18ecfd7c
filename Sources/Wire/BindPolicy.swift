/// Secure by default: a socket that other machines can reach is bound only with keys, unless the user says
/// `--insecure`. Loopback, ipc:// and inproc:// endpoints are reachable from this machine alone, so they may run
/// without keys (the tests and deploy/local.sh's single-machine cluster).
public enum BindPolicy {
    /// Whether `endpoint` (a ZeroMQ endpoint) can be reached only from this machine.
    public static func isLocal(endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard let scheme = endpoint.range(of: "://"), let colon = endpoint.lastIndex(of: ":"), colon > scheme.upperBound else {
            return false
        }
        return isLocal(host: String(endpoint[scheme.upperBound..<colon]))
    }

    /// Whether a host name or address is a loopback one. Wildcards ("*", "0.0.0.0", "::") are not.
    public static func isLocal(host: String) -> Bool {
        let host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return host.hasPrefix("127.") || host == "localhost" || host == "::1"
    }

    /// Refuses to bind `endpoint` for `what` without keys when other machines could reach it.
    public static func check(_ endpoint: String, what: String, hasKeys: Bool, insecure: Bool) throws(SecurityError) {
        guard !hasKeys, !insecure, !isLocal(endpoint: endpoint) else { return }
        throw .insecureBind("""
            refusing to bind \(what) to \(endpoint) without keys: anyone who can reach it could read the prompts, \
            load or hijack stages and send forged results. Make keys with `baton keygen PATH` and pass --key (and, on \
            a worker, --authorized-keys; see "Security" in the README), bind a loopback address, or pass --insecure \
            on a network where every host is trusted.
            """)
    }
}
