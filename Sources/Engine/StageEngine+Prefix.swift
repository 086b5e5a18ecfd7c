import Llama

/// Closed sessions kept for prompt-prefix reuse: least recently used out first, at most `limit` bytes of KV
/// cache (the worker's --prefix-cache-mb, counted in its memory budget).
struct PrefixCache {
    let limit: Int
    /// Oldest first.
    private(set) var entries: [(id: UInt64, session: StageEngine.Session)] = []
    private(set) var bytes = 0
    /// ReusePrefix requests that copied positions.
    var reuses: UInt64 = 0

    init(limit: Int) { self.limit = max(0, limit) }

    /// Keeps a closed session, evicting the oldest until the pool fits; one larger than the pool is dropped.
    mutating func keep(_ id: UInt64, _ session: StageEngine.Session) {
        let size = session.cache.byteCount
        guard size <= limit, session.cache.length > 0 else { return }
        entries.append((id, session))
        bytes += size
        while bytes > limit, !entries.isEmpty { bytes -= entries.removeFirst().session.cache.byteCount }
    }

    /// The kept session `id`, now the most recently used; nil when it was never kept or was evicted.
    mutating func use(_ id: UInt64) -> StageEngine.Session? {
        guard let i = entries.firstIndex(where: { $0.id == id }) else { return nil }
        let entry = entries.remove(at: i)
        entries.append(entry)
        return entry.session
    }

    mutating func removeAll() {
        entries.removeAll()
        bytes = 0
    }
}

extension StageEngine {
    /// Starts session `id` (open, holding no positions) from the first `tokens.count` positions of `source`, an
    /// open session or one kept in the prefix cache; on the last stage `tokens` join the sampler's history as if
    /// evaluated. Returns the positions copied (0 when the source is gone).
    public func reusePrefix(into id: UInt64, from source: UInt64, tokens: [Int32]) throws -> Int {
        try sessions.withLock { sessions in
            guard let target = sessions[id] else { throw StageError.unknownSession(id) }
            guard target.cache.length == 0 else { throw StageError.prefixIntoUsedSession(id) }
            guard source != id, let from = sessions[source] ?? prefixCache.withLock({ $0.use(source) }) else { return 0 }
            let copied = target.cache.copyPrefix(of: from.cache, positions: tokens.count)
            if isLast { tokens.prefix(copied).forEach { target.sampler.accept($0) } }
            if copied > 0 { prefixCache.withLock { $0.reuses += 1 } }
            return copied
        }
    }

    /// Closed sessions kept for reuse, their KV bytes, and the reuses since start.
    public var prefixCacheStatus: (entries: Int, bytes: Int, reuses: UInt64) {
        prefixCache.withLock { ($0.entries.count, $0.bytes, $0.reuses) }
    }
}
