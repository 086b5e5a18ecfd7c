import Engine
import Wire

/// Token prefixes whose KV the workers may still hold: closed sessions' histories (a worker keeps a closed
/// session's cache while its --prefix-cache-mb has room, least recently used out first). Open sessions are
/// looked up in the pipeline's session table instead. Bounded: the oldest entries are forgotten first.
struct PrefixIndex {
    static let capacity = 256
    /// Most recent last.
    private(set) var closed: [(session: UInt64, tokens: [Int32])] = []

    mutating func closing(_ session: UInt64, tokens: [Int32]) {
        forget(session)
        guard !tokens.isEmpty else { return }
        closed.append((session, tokens))
        if closed.count > Self.capacity { closed.removeFirst(closed.count - Self.capacity) }
    }

    mutating func forget(_ session: UInt64) { closed.removeAll { $0.session == session } }
}

/// The longest common prefix of two token lists.
func commonPrefix(_ a: [Int32], _ b: ArraySlice<Int32>) -> Int {
    var n = 0
    for (x, y) in zip(a, b) { guard x == y else { break }; n += 1 }
    return n
}

extension RemotePipeline {
    /// Prefixes shorter than this are evaluated again: one control round trip per stage costs about as much.
    static let minimumReuse = 16

    /// Starts a fresh session from the longest prefix of `prompt` whose KV an open or recently closed session
    /// holds on every stage, so prefill computes only the rest. Returns the positions reused (0: none). The last
    /// prompt token is always evaluated (its logits give the first sampled token).
    func reusePrefix(_ session: UInt64, prompt: [Int32]) async -> Int {
        guard let (source, tokens) = bestPrefix(for: prompt, excluding: session) else { return 0 }
        var copied = tokens.count
        for link in links {
            guard await link.hello?.capabilities.contains(.prefixReuse) == true else { return 0 }
            let reply = try? await request(link, .reusePrefix(ReusePrefix(sessionID: session, sourceSessionID: source, tokens: tokens)),
                                           timeout: options.controlTimeout)
            guard case .reusePrefixReply(let r)? = reply else { copied = 0; break }
            copied = min(copied, Int(r.positions))
        }
        guard copied >= Self.minimumReuse else {
            // A stage no longer holds it: do not offer that session again. Stages that copied discard it when the
            // first Forward starts at 0.
            prefixIndex.withLock { $0.forget(source) }
            return 0
        }
        sessions.withLock { sessions in
            sessions[session]?.position = copied
            sessions[session]?.history = Array(tokens[..<copied])
        }
        options.onPrefixReuse?(copied)
        logger.debug("reused a prompt prefix", metadata: ["session": "\(session)", "from": "\(source)", "positions": "\(copied)"])
        return copied
    }

    /// The session (open or closed) sharing the longest prefix with `prompt`, and that prefix (at most all but
    /// the prompt's last token), when it is at least `minimumReuse` long.
    private func bestPrefix(for prompt: [Int32], excluding session: UInt64) -> (UInt64, [Int32])? {
        let limit = prompt.count - 1
        guard limit >= Self.minimumReuse else { return nil }
        var best: (session: UInt64, length: Int)?
        let consider = { (id: UInt64, history: [Int32]) in
            let n = min(commonPrefix(history, prompt[..<limit]), limit)
            if n >= Self.minimumReuse, n > (best?.length ?? 0) { best = (id, n) }
        }
        sessions.withLock { for (id, s) in $0 where id != session { consider(id, Array(s.history.prefix(s.position))) } }
        prefixIndex.withLock { for entry in $0.closed.reversed() { consider(entry.session, entry.tokens) } }
        return best.map { ($0.session, Array(prompt[..<$0.length])) }
    }
}
