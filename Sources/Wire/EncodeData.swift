import CBatonProto
import CProtobufC

/// Data-path messages → protobuf-c structs (memory owned by the encoder's arena).
extension ProtoEncoder {
    /// `hiddenBytes` are the caller-pinned bytes of `m.hidden.values`: protobuf-c only reads them
    /// while packing, so they are referenced, not copied.
    func forward(_ m: Forward, hiddenBytes: UnsafeRawBufferPointer?) -> UnsafeMutablePointer<Baton__V1__Forward> {
        arena.message(baton__v1__forward__init) {
            $0.session_id = m.sessionID
            $0.step = m.step
            $0.start_position = m.startPosition
            $0.n_tokens = m.tokens.count
            $0.tokens = arena.array(m.tokens)
            if let hidden = m.hidden {
                $0.hidden = hiddenStates(nEmbd: hidden.nEmbd, bytes: hiddenBytes)
            }
            $0.sample = m.sample ? 1 : 0
            $0.prompt_logprobs = m.promptLogprobs ? 1 : 0
            $0.n_timings = m.timings.count
            $0.timings = arena.messages(m.timings, stageTiming)
        }
    }

    /// Each member's hidden states are copied into the arena (a lone Forward's are packed in place; a batch
    /// would need every member's array pinned at once).
    func forwardBatch(_ forwards: [Forward]) -> UnsafeMutablePointer<Baton__V1__ForwardBatch> {
        arena.message(baton__v1__forward_batch__init) {
            $0.n_forwards = forwards.count
            $0.forwards = arena.messages(forwards) { m in
                let copy = m.hidden.flatMap { arena.array($0.values) }
                let bytes = copy.map { UnsafeRawBufferPointer(start: $0, count: (m.hidden?.values.count ?? 0) * 4) }
                return forward(m, hiddenBytes: bytes)
            }
        }
    }

    private func hiddenStates(nEmbd: UInt32, bytes: UnsafeRawBufferPointer?) -> UnsafeMutablePointer<Baton__V1__HiddenStates> {
        arena.message(baton__v1__hidden_states__init) {
            $0.n_embd = nEmbd
            if let bytes, let base = bytes.baseAddress, !bytes.isEmpty {
                $0.data = ProtobufCBinaryData(
                    len: bytes.count,
                    data: UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self)))
            }
        }
    }

    func stageTiming(_ m: StageTiming) -> UnsafeMutablePointer<Baton__V1__StageTiming> {
        arena.message(baton__v1__stage_timing__init) {
            $0.stage_index = m.stageIndex
            $0.queue_us = m.queueMicroseconds
            $0.compute_us = m.computeMicroseconds
            $0.batch_sessions = m.batchSessions
            $0.batch_rows = m.batchRows
        }
    }

    func tokenLogprob(_ m: TokenLogprob) -> UnsafeMutablePointer<Baton__V1__TokenLogprob> {
        arena.message(baton__v1__token_logprob__init) {
            $0.token_id = m.tokenID
            $0.logprob = m.logprob
        }
    }

    func positionLogprobs(_ m: PositionLogprobs) -> UnsafeMutablePointer<Baton__V1__PositionLogprobs> {
        arena.message(baton__v1__position_logprobs__init) {
            $0.position = m.position
            $0.token_id = m.tokenID
            $0.logprob = m.logprob
            $0.n_top = m.top.count
            $0.top = arena.messages(m.top, tokenLogprob)
        }
    }

    func tokenResult(_ m: TokenResult) -> UnsafeMutablePointer<Baton__V1__TokenResult> {
        arena.message(baton__v1__token_result__init) {
            $0.session_id = m.sessionID
            $0.step = m.step
            if let token = m.token {
                $0.sampled = 1
                $0.token_id = token.tokenID
                $0.logprob = token.logprob
            }
            $0.n_top_logprobs = m.topLogprobs.count
            $0.top_logprobs = arena.messages(m.topLogprobs, tokenLogprob)
            $0.n_prompt_logprobs = m.promptLogprobs.count
            $0.prompt_logprobs = arena.messages(m.promptLogprobs, positionLogprobs)
            $0.n_timings = m.timings.count
            $0.timings = arena.messages(m.timings, stageTiming)
        }
    }
}
