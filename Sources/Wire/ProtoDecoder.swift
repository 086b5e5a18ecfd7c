import CBatonProto
import CProtobufC

/// Bytes → protobuf-c structs → Swift values. The C graph is freed before returning; nothing from it
/// escapes. Every pointer is checked: a valid-but-odd message becomes `.invalid`, never a trap.
enum ProtoDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Envelope {
        // protobuf-c wants a non-NULL pointer even for zero bytes.
        var empty: UInt8 = 0
        let unpacked = withUnsafeMutablePointer(to: &empty) { fallback in
            baton__v1__envelope__unpack(
                nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(fallback))
        }
        guard let env = unpacked else { throw .malformed(size: bytes.count) }
        defer { baton__v1__envelope__free_unpacked(env, nil) }
        return Envelope(requestID: env.pointee.request_id, message: try body(env.pointee))
    }

    private static func body(_ env: Baton__V1__Envelope) throws(WireError) -> WireMessage {
        switch env.body_case {
        case BATON__V1__ENVELOPE__BODY_HELLO:
            .hello(hello(try present(env.hello, "Hello")))
        case BATON__V1__ENVELOPE__BODY_HELLO_REPLY:
            .helloReply(helloReply(try present(env.hello_reply, "HelloReply")))
        case BATON__V1__ENVELOPE__BODY_LOAD_STAGE:
            .loadStage(loadStage(try present(env.load_stage, "LoadStage")))
        case BATON__V1__ENVELOPE__BODY_LOAD_STAGE_REPLY:
            .loadStageReply(loadStageReply(try present(env.load_stage_reply, "LoadStageReply")))
        case BATON__V1__ENVELOPE__BODY_OPEN_SESSION:
            .openSession(try openSession(try present(env.open_session, "OpenSession")))
        case BATON__V1__ENVELOPE__BODY_OPEN_SESSION_REPLY:
            .openSessionReply(openSessionReply(try present(env.open_session_reply, "OpenSessionReply")))
        case BATON__V1__ENVELOPE__BODY_CLOSE_SESSION:
            .closeSession(CloseSession(sessionID: try present(env.close_session, "CloseSession").session_id))
        case BATON__V1__ENVELOPE__BODY_CLOSE_SESSION_REPLY:
            .closeSessionReply(closeSessionReply(try present(env.close_session_reply, "CloseSessionReply")))
        case BATON__V1__ENVELOPE__BODY_REUSE_PREFIX:
            .reusePrefix(reusePrefix(try present(env.reuse_prefix, "ReusePrefix")))
        case BATON__V1__ENVELOPE__BODY_REUSE_PREFIX_REPLY:
            .reusePrefixReply(reusePrefixReply(try present(env.reuse_prefix_reply, "ReusePrefixReply")))
        case BATON__V1__ENVELOPE__BODY_HEALTH:
            .health
        case BATON__V1__ENVELOPE__BODY_HEALTH_REPLY:
            .healthReply(healthReply(try present(env.health_reply, "HealthReply")))
        case BATON__V1__ENVELOPE__BODY_ERROR:
            .error(error(try present(env.error, "Error")))
        case BATON__V1__ENVELOPE__BODY_FORWARD:
            .forward(try forward(try present(env.forward, "Forward")))
        case BATON__V1__ENVELOPE__BODY_FORWARD_BATCH:
            .forwardBatch(try forwardBatch(try present(env.forward_batch, "ForwardBatch")))
        case BATON__V1__ENVELOPE__BODY_TOKEN_RESULT:
            .tokenResult(tokenResult(try present(env.token_result, "TokenResult")))
        case BATON__V1__ENVELOPE__BODY_WEIGHT_OFFER:
            .weightOffer(weightOffer(try present(env.weight_offer, "WeightOffer")))
        case BATON__V1__ENVELOPE__BODY_WEIGHT_CHUNK:
            .weightChunk(try weightChunk(try present(env.weight_chunk, "WeightChunk")))
        case BATON__V1__ENVELOPE__BODY_WEIGHT_CREDIT:
            .weightCredit(weightCredit(try present(env.weight_credit, "WeightCredit")))
        case BATON__V1__ENVELOPE__BODY_WEIGHT_DONE:
            .weightDone(WeightDone(modelSHA256: string(try present(env.weight_done, "WeightDone").model_sha256)))
        case BATON__V1__ENVELOPE__BODY_WEIGHT_DONE_REPLY:
            .weightDoneReply(weightDoneReply(try present(env.weight_done_reply, "WeightDoneReply")))
        case BATON__V1__ENVELOPE__BODY__NOT_SET:
            // Also what a message from a newer minor with a body this build does not know looks like.
            throw .invalid("envelope without a body this build knows (empty, or from a newer protocol minor)")
        default:
            throw .invalid("envelope body case \(env.body_case.rawValue) is unknown")
        }
    }

    /// The sub-message a set oneof case points to; protobuf-c always sets it, but a NULL must not trap.
    static func present<T>(_ pointer: UnsafeMutablePointer<T>?, _ what: String) throws(WireError) -> T {
        guard let pointer else { throw .invalid("\(what) body is missing") }
        return pointer.pointee
    }

    /// protobuf-c strings are NUL-terminated; invalid UTF-8 is repaired rather than trusted.
    static func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
        p.map { String(cString: $0) } ?? ""
    }

    /// A C (count, pointer) array as a Swift array, converted element by element.
    static func array<C, S>(_ count: Int, _ p: UnsafeMutablePointer<C>?, _ convert: (C) -> S) -> [S] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).map(convert)
    }

    /// A C array of message pointers; NULL entries (never produced by protobuf-c) are skipped.
    static func messages<C, S>(_ count: Int, _ p: UnsafeMutablePointer<UnsafeMutablePointer<C>?>?,
                               _ convert: (C) -> S) -> [S] {
        guard let p, count > 0 else { return [] }
        return UnsafeBufferPointer(start: p, count: count).compactMap { $0.map { convert($0.pointee) } }
    }

    static func error(_ c: Baton__V1__Error) -> ErrorMessage {
        ErrorMessage(code: ErrorCode(rawValue: c.code.rawValue) ?? .unknown, message: string(c.message),
                     sessionID: c.session_id, step: c.step, stageIndex: c.stage_index)
    }
}
