import CBatonProto
import CProtobufC

/// Swift values → protobuf-c structs → bytes. All C memory lives in one `CArena` for the duration of
/// a single `encode`; hidden states are not even copied into it but packed straight from the array.
struct ProtoEncoder {
    let arena = CArena()

    static func encode(_ envelope: Envelope) -> [UInt8] {
        let encoder = ProtoEncoder()
        var env = Baton__V1__Envelope()
        baton__v1__envelope__init(&env)
        env.request_id = envelope.requestID
        if case .forward(let forward) = envelope.message, let hidden = forward.hidden {
            // The pointer is only valid inside the closure, so pack there.
            return hidden.values.withUnsafeBytes { raw in
                env.body_case = BATON__V1__ENVELOPE__BODY_FORWARD
                env.forward = encoder.forward(forward, hiddenBytes: raw)
                return pack(&env)
            }
        }
        encoder.setBody(&env, envelope.message)
        return pack(&env)
    }

    private static func pack(_ env: inout Baton__V1__Envelope) -> [UInt8] {
        let size = baton__v1__envelope__get_packed_size(&env)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = buffer.baseAddress.map { baton__v1__envelope__pack(&env, $0) } ?? 0
        }
    }

    private func setBody(_ env: inout Baton__V1__Envelope, _ message: WireMessage) {
        switch message {
        case .hello(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_HELLO
            env.hello = hello(m)
        case .helloReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_HELLO_REPLY
            env.hello_reply = helloReply(m)
        case .loadStage(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_LOAD_STAGE
            env.load_stage = loadStage(m)
        case .loadStageReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_LOAD_STAGE_REPLY
            env.load_stage_reply = loadStageReply(m)
        case .openSession(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_OPEN_SESSION
            env.open_session = openSession(m)
        case .openSessionReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_OPEN_SESSION_REPLY
            env.open_session_reply = openSessionReply(m)
        case .closeSession(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_CLOSE_SESSION
            env.close_session = closeSession(m)
        case .closeSessionReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_CLOSE_SESSION_REPLY
            env.close_session_reply = closeSessionReply(m)
        case .reusePrefix(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_REUSE_PREFIX
            env.reuse_prefix = reusePrefix(m)
        case .reusePrefixReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_REUSE_PREFIX_REPLY
            env.reuse_prefix_reply = reusePrefixReply(m)
        case .health:
            env.body_case = BATON__V1__ENVELOPE__BODY_HEALTH
            env.health = arena.message(baton__v1__health__init)
        case .healthReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_HEALTH_REPLY
            env.health_reply = healthReply(m)
        case .error(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_ERROR
            env.error = error(m)
        case .forward(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_FORWARD
            env.forward = forward(m, hiddenBytes: nil)
        case .forwardBatch(let forwards):
            env.body_case = BATON__V1__ENVELOPE__BODY_FORWARD_BATCH
            env.forward_batch = forwardBatch(forwards)
        case .tokenResult(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_TOKEN_RESULT
            env.token_result = tokenResult(m)
        case .weightOffer(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_WEIGHT_OFFER
            env.weight_offer = weightOffer(m)
        case .weightChunk(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_WEIGHT_CHUNK
            env.weight_chunk = weightChunk(m)
        case .weightCredit(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_WEIGHT_CREDIT
            env.weight_credit = weightCredit(m)
        case .weightDone(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_WEIGHT_DONE
            env.weight_done = weightDone(m)
        case .weightDoneReply(let m):
            env.body_case = BATON__V1__ENVELOPE__BODY_WEIGHT_DONE_REPLY
            env.weight_done_reply = weightDoneReply(m)
        }
    }

    func error(_ m: ErrorMessage) -> UnsafeMutablePointer<Baton__V1__Error> {
        arena.message(baton__v1__error__init) {
            $0.code = Baton__V1__ErrorCode(rawValue: m.code.rawValue)
            $0.message = arena.string(m.message)
            $0.session_id = m.sessionID
            $0.step = m.step
            $0.stage_index = m.stageIndex
        }
    }
}
