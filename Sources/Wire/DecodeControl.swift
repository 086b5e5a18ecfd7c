import CBatonProto

/// protobuf-c control and session structs → Swift values. Unknown enum values (from a newer peer)
/// map to the `unspecified` case, or are dropped from capability lists.
extension ProtoDecoder {
    static func hello(_ c: Baton__V1__Hello) -> Hello {
        Hello(version: ProtocolVersion(major: c.protocol_major, minor: c.protocol_minor),
              peerID: string(c.peer_id), role: Role(rawValue: c.role.rawValue) ?? .unspecified)
    }

    static func helloReply(_ c: Baton__V1__HelloReply) -> HelloReply {
        HelloReply(
            version: ProtocolVersion(major: c.protocol_major, minor: c.protocol_minor),
            workerID: string(c.worker_id), threads: c.threads,
            freeMemoryBytes: c.free_memory_bytes, totalMemoryBytes: c.total_memory_bytes,
            capabilities: array(c.n_capabilities, c.capabilities) { Capability(rawValue: $0.rawValue) }
                .compactMap { $0 },
            dataEndpoint: string(c.data_endpoint), softwareVersion: string(c.software_version),
            memoryBudgetBytes: c.memory_budget_bytes)
    }

    static func loadStage(_ c: Baton__V1__LoadStage) -> LoadStage {
        var m = LoadStage(
            modelPath: string(c.model_path), modelSHA256: string(c.model_sha256),
            layerBegin: c.layer_begin, layerEnd: c.layer_end, isFirst: c.is_first != 0, isLast: c.is_last != 0,
            contextLength: c.context_length, kvType: KVType(rawValue: c.kv_type.rawValue) ?? .unspecified,
            maxSessions: c.max_sessions, nextHop: string(c.next_hop),
            stageIndex: c.stage_index, stageCount: c.stage_count, threads: c.threads,
            canStreamWeights: c.can_stream_weights != 0)
        m.ropeScaling = string(c.rope_scaling)
        m.ropeScale = c.rope_scale
        m.ropeOriginalContext = c.rope_original_context
        m.previousHopPublicKey = bytes(c.previous_hop_public_key)
        m.nextHopPublicKey = bytes(c.next_hop_public_key)
        m.weightsManifestSHA256 = bytes(c.weights_manifest_sha256)
        m.nextHopTakesBatches = c.next_hop_takes_batches != 0
        return m
    }

    static func loadStageReply(_ c: Baton__V1__LoadStageReply) -> LoadStageReply {
        LoadStageReply(weightBytes: c.weight_bytes, kvBytesPerSession: c.kv_bytes_per_session,
                       loadMilliseconds: c.load_ms, nEmbd: c.n_embd, nLayersTotal: c.n_layers_total,
                       weightsRequired: c.weights_required != 0, fromCache: c.from_cache != 0)
    }

    /// The sampler is required: every parameter travels explicitly, there are no implicit defaults.
    static func openSession(_ c: Baton__V1__OpenSession) throws(WireError) -> OpenSession {
        let s = try present(c.sampler, "OpenSession.sampler")
        var sampler = SamplerParams()
        sampler.temperature = s.temperature
        sampler.topK = s.top_k
        sampler.topP = s.top_p
        sampler.minP = s.min_p
        sampler.repeatPenalty = s.repeat_penalty
        sampler.repeatLastN = s.repeat_last_n
        sampler.presencePenalty = s.presence_penalty
        sampler.frequencyPenalty = s.frequency_penalty
        sampler.seed = s.seed
        var open = OpenSession(sessionID: c.session_id, contextLength: c.context_length,
                               sampler: sampler, topLogprobs: c.top_logprobs)
        open.skipLogprobs = c.skip_logprobs != 0
        return open
    }

    static func openSessionReply(_ c: Baton__V1__OpenSessionReply) -> OpenSessionReply {
        OpenSessionReply(sessionID: c.session_id, kvBytes: c.kv_bytes)
    }

    static func reusePrefix(_ c: Baton__V1__ReusePrefix) -> ReusePrefix {
        ReusePrefix(sessionID: c.session_id, sourceSessionID: c.source_session_id, tokens: array(c.n_tokens, c.tokens) { $0 })
    }

    static func reusePrefixReply(_ c: Baton__V1__ReusePrefixReply) -> ReusePrefixReply {
        ReusePrefixReply(sessionID: c.session_id, positions: c.positions)
    }

    static func closeSessionReply(_ c: Baton__V1__CloseSessionReply) -> CloseSessionReply {
        CloseSessionReply(sessionID: c.session_id, existed: c.existed != 0)
    }

    static func healthReply(_ c: Baton__V1__HealthReply) -> HealthReply {
        var h = HealthReply()
        h.loaded = c.loaded != 0
        h.stageIndex = c.stage_index
        h.layerBegin = c.layer_begin
        h.layerEnd = c.layer_end
        h.sessions = c.sessions
        h.maxSessions = c.max_sessions
        h.freeMemoryBytes = c.free_memory_bytes
        h.totalMemoryBytes = c.total_memory_bytes
        h.residentBytes = c.resident_bytes
        h.uptimeMilliseconds = c.uptime_ms
        h.forwardsDone = c.forwards_done
        h.dataBytesSent = c.data_bytes_sent
        h.dataMessagesSent = c.data_messages_sent
        h.peakResidentBytes = c.peak_resident_bytes
        h.weightBytesReceived = c.weight_bytes_received
        h.weightBytesFromCache = c.weight_bytes_from_cache
        h.draining = c.draining != 0
        h.prefixCacheEntries = c.prefix_cache_entries
        h.prefixCacheBytes = c.prefix_cache_bytes
        h.prefixReuses = c.prefix_reuses
        return h
    }
}
