import CBatonProto
import CProtobufC

/// protobuf-c data-path structs → Swift values, validating what a stage would otherwise index blindly.
extension ProtoDecoder {
    static func forward(_ c: Baton__V1__Forward) throws(WireError) -> Forward {
        let tokens = array(c.n_tokens, c.tokens) { $0 }
        var hidden: HiddenStates?
        if let h = c.hidden {
            hidden = try hiddenStates(h.pointee, nTokens: tokens.count)
        }
        return Forward(
            sessionID: c.session_id, step: c.step, startPosition: c.start_position, tokens: tokens,
            hidden: hidden, sample: c.sample != 0, promptLogprobs: c.prompt_logprobs != 0,
            timings: messages(c.n_timings, c.timings, stageTiming))
    }

    static func forwardBatch(_ c: Baton__V1__ForwardBatch) throws(WireError) -> [Forward] {
        guard c.n_forwards > 0, let members = c.forwards else { throw .invalid("a ForwardBatch without members") }
        var forwards: [Forward] = []
        for i in 0..<c.n_forwards {
            guard let member = members[i] else { throw .invalid("a ForwardBatch with a null member") }
            forwards.append(try forward(member.pointee))
        }
        return forwards
    }

    /// The payload must be exactly nTokens · nEmbd little-endian f32; it is memcpy'd into the array.
    static func hiddenStates(_ c: Baton__V1__HiddenStates, nTokens: Int) throws(WireError) -> HiddenStates {
        let nEmbd = Int(c.n_embd)
        guard nEmbd > 0 else { throw .invalid("hidden states with n_embd 0") }
        let (count, overflow) = nTokens.multipliedReportingOverflow(by: nEmbd)
        guard !overflow, count.multipliedReportingOverflow(by: 4) == (c.data.len, false) else {
            throw .invalid("hidden states hold \(c.data.len) bytes, expected 4 × \(nTokens) tokens × \(nEmbd) n_embd")
        }
        guard count > 0, let src = c.data.data else {
            return HiddenStates(nEmbd: c.n_embd, values: [])
        }
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let dst = buffer.baseAddress {
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: c.data.len)
                initialized = count
            }
        }
        return HiddenStates(nEmbd: c.n_embd, values: values)
    }

    static func stageTiming(_ c: Baton__V1__StageTiming) -> StageTiming {
        StageTiming(stageIndex: c.stage_index, queueMicroseconds: c.queue_us, computeMicroseconds: c.compute_us,
                    batchSessions: c.batch_sessions, batchRows: c.batch_rows)
    }

    static func tokenLogprob(_ c: Baton__V1__TokenLogprob) -> TokenLogprob {
        TokenLogprob(tokenID: c.token_id, logprob: c.logprob)
    }

    static func positionLogprobs(_ c: Baton__V1__PositionLogprobs) -> PositionLogprobs {
        PositionLogprobs(position: c.position, tokenID: c.token_id, logprob: c.logprob,
                         top: messages(c.n_top, c.top, tokenLogprob))
    }

    static func tokenResult(_ c: Baton__V1__TokenResult) -> TokenResult {
        TokenResult(
            sessionID: c.session_id, step: c.step,
            token: c.sampled != 0 ? TokenLogprob(tokenID: c.token_id, logprob: c.logprob) : nil,
            topLogprobs: messages(c.n_top_logprobs, c.top_logprobs, tokenLogprob),
            promptLogprobs: messages(c.n_prompt_logprobs, c.prompt_logprobs, positionLogprobs),
            timings: messages(c.n_timings, c.timings, stageTiming))
    }
}
