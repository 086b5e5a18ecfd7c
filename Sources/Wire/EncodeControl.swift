import CBatonProto

/// Control and session messages → protobuf-c structs (memory owned by the encoder's arena).
extension ProtoEncoder {
    func hello(_ m: Hello) -> UnsafeMutablePointer<Baton__V1__Hello> {
        arena.message(baton__v1__hello__init) {
            $0.protocol_major = m.version.major
            $0.protocol_minor = m.version.minor
            $0.peer_id = arena.string(m.peerID)
            $0.role = Baton__V1__Role(rawValue: m.role.rawValue)
        }
    }

    func helloReply(_ m: HelloReply) -> UnsafeMutablePointer<Baton__V1__HelloReply> {
        arena.message(baton__v1__hello_reply__init) {
            $0.protocol_major = m.version.major
            $0.protocol_minor = m.version.minor
            $0.worker_id = arena.string(m.workerID)
            $0.threads = m.threads
            $0.free_memory_bytes = m.freeMemoryBytes
            $0.total_memory_bytes = m.totalMemoryBytes
            $0.n_capabilities = m.capabilities.count
            $0.capabilities = arena.array(m.capabilities.map { Baton__V1__Capability(rawValue: $0.rawValue) })
            $0.data_endpoint = arena.string(m.dataEndpoint)
            $0.software_version = arena.string(m.softwareVersion)
            $0.memory_budget_bytes = m.memoryBudgetBytes
        }
    }

    func loadStage(_ m: LoadStage) -> UnsafeMutablePointer<Baton__V1__LoadStage> {
        arena.message(baton__v1__load_stage__init) {
            $0.model_path = arena.string(m.modelPath)
            $0.model_sha256 = arena.string(m.modelSHA256)
            $0.layer_begin = m.layerBegin
            $0.layer_end = m.layerEnd
            $0.is_first = m.isFirst ? 1 : 0
            $0.is_last = m.isLast ? 1 : 0
            $0.context_length = m.contextLength
            $0.kv_type = Baton__V1__KvType(rawValue: m.kvType.rawValue)
            $0.max_sessions = m.maxSessions
            $0.next_hop = arena.string(m.nextHop)
            $0.stage_index = m.stageIndex
            $0.stage_count = m.stageCount
            $0.threads = m.threads
            $0.can_stream_weights = m.canStreamWeights ? 1 : 0
            $0.rope_scaling = arena.string(m.ropeScaling)
            $0.rope_scale = m.ropeScale
            $0.rope_original_context = m.ropeOriginalContext
            $0.previous_hop_public_key = binary(m.previousHopPublicKey)
            $0.next_hop_public_key = binary(m.nextHopPublicKey)
            $0.weights_manifest_sha256 = binary(m.weightsManifestSHA256)
            $0.next_hop_takes_batches = m.nextHopTakesBatches ? 1 : 0
        }
    }

    func loadStageReply(_ m: LoadStageReply) -> UnsafeMutablePointer<Baton__V1__LoadStageReply> {
        arena.message(baton__v1__load_stage_reply__init) {
            $0.weight_bytes = m.weightBytes
            $0.kv_bytes_per_session = m.kvBytesPerSession
            $0.load_ms = m.loadMilliseconds
            $0.n_embd = m.nEmbd
            $0.n_layers_total = m.nLayersTotal
            $0.weights_required = m.weightsRequired ? 1 : 0
            $0.from_cache = m.fromCache ? 1 : 0
        }
    }

    func samplerParams(_ m: SamplerParams) -> UnsafeMutablePointer<Baton__V1__SamplerParams> {
        arena.message(baton__v1__sampler_params__init) {
            $0.temperature = m.temperature
            $0.top_k = m.topK
            $0.top_p = m.topP
            $0.min_p = m.minP
            $0.repeat_penalty = m.repeatPenalty
            $0.repeat_last_n = m.repeatLastN
            $0.presence_penalty = m.presencePenalty
            $0.frequency_penalty = m.frequencyPenalty
            $0.seed = m.seed
        }
    }

    func openSession(_ m: OpenSession) -> UnsafeMutablePointer<Baton__V1__OpenSession> {
        arena.message(baton__v1__open_session__init) {
            $0.session_id = m.sessionID
            $0.context_length = m.contextLength
            $0.sampler = samplerParams(m.sampler)
            $0.top_logprobs = m.topLogprobs
            $0.skip_logprobs = m.skipLogprobs ? 1 : 0
        }
    }

    func openSessionReply(_ m: OpenSessionReply) -> UnsafeMutablePointer<Baton__V1__OpenSessionReply> {
        arena.message(baton__v1__open_session_reply__init) {
            $0.session_id = m.sessionID
            $0.kv_bytes = m.kvBytes
        }
    }

    func closeSession(_ m: CloseSession) -> UnsafeMutablePointer<Baton__V1__CloseSession> {
        arena.message(baton__v1__close_session__init) { $0.session_id = m.sessionID }
    }

    func closeSessionReply(_ m: CloseSessionReply) -> UnsafeMutablePointer<Baton__V1__CloseSessionReply> {
        arena.message(baton__v1__close_session_reply__init) {
            $0.session_id = m.sessionID
            $0.existed = m.existed ? 1 : 0
        }
    }

    func reusePrefix(_ m: ReusePrefix) -> UnsafeMutablePointer<Baton__V1__ReusePrefix> {
        arena.message(baton__v1__reuse_prefix__init) {
            $0.session_id = m.sessionID
            $0.source_session_id = m.sourceSessionID
            $0.n_tokens = m.tokens.count
            $0.tokens = arena.array(m.tokens)
        }
    }

    func reusePrefixReply(_ m: ReusePrefixReply) -> UnsafeMutablePointer<Baton__V1__ReusePrefixReply> {
        arena.message(baton__v1__reuse_prefix_reply__init) {
            $0.session_id = m.sessionID
            $0.positions = m.positions
        }
    }

    func healthReply(_ m: HealthReply) -> UnsafeMutablePointer<Baton__V1__HealthReply> {
        arena.message(baton__v1__health_reply__init) {
            $0.loaded = m.loaded ? 1 : 0
            $0.stage_index = m.stageIndex
            $0.layer_begin = m.layerBegin
            $0.layer_end = m.layerEnd
            $0.sessions = m.sessions
            $0.max_sessions = m.maxSessions
            $0.free_memory_bytes = m.freeMemoryBytes
            $0.total_memory_bytes = m.totalMemoryBytes
            $0.resident_bytes = m.residentBytes
            $0.uptime_ms = m.uptimeMilliseconds
            $0.forwards_done = m.forwardsDone
            $0.data_bytes_sent = m.dataBytesSent
            $0.data_messages_sent = m.dataMessagesSent
            $0.peak_resident_bytes = m.peakResidentBytes
            $0.weight_bytes_received = m.weightBytesReceived
            $0.weight_bytes_from_cache = m.weightBytesFromCache
            $0.draining = m.draining ? 1 : 0
            $0.prefix_cache_entries = m.prefixCacheEntries
            $0.prefix_cache_bytes = m.prefixCacheBytes
            $0.prefix_reuses = m.prefixReuses
        }
    }
}
