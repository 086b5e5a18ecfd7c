import CBatonProto
import CProtobufC

/// Weight-streaming messages → protobuf-c structs (memory owned by the encoder's arena).
extension ProtoEncoder {
    func weightOffer(_ m: WeightOffer) -> UnsafeMutablePointer<Baton__V1__WeightOffer> {
        arena.message(baton__v1__weight_offer__init) {
            $0.model_sha256 = arena.string(m.modelSHA256)
            $0.file_size = m.fileSize
            $0.layer_begin = m.layerBegin
            $0.layer_end = m.layerEnd
            $0.is_first = m.isFirst ? 1 : 0
            $0.is_last = m.isLast ? 1 : 0
            $0.n_regions = m.regions.count
            $0.regions = arena.messages(m.regions, weightRegion)
            $0.max_chunk_bytes = m.maxChunkBytes
        }
    }

    func weightRegion(_ m: WeightRegion) -> UnsafeMutablePointer<Baton__V1__WeightRegion> {
        arena.message(baton__v1__weight_region__init) {
            $0.name = arena.string(m.name)
            $0.file_offset = m.fileOffset
            $0.size = m.size
        }
    }

    /// The chunk's bytes are copied into the arena once (≤ 4 MiB; cheap next to the network).
    func weightChunk(_ m: WeightChunk) -> UnsafeMutablePointer<Baton__V1__WeightChunk> {
        arena.message(baton__v1__weight_chunk__init) {
            $0.file_offset = m.fileOffset
            $0.data = binary(m.data)
            $0.region_sha256 = binary(m.regionSHA256)
        }
    }

    func weightCredit(_ m: WeightCredit) -> UnsafeMutablePointer<Baton__V1__WeightCredit> {
        arena.message(baton__v1__weight_credit__init) {
            $0.chunks = m.chunks
            $0.bytes_received = m.bytesReceived
        }
    }

    func weightDone(_ m: WeightDone) -> UnsafeMutablePointer<Baton__V1__WeightDone> {
        arena.message(baton__v1__weight_done__init) { $0.model_sha256 = arena.string(m.modelSHA256) }
    }

    func weightDoneReply(_ m: WeightDoneReply) -> UnsafeMutablePointer<Baton__V1__WeightDoneReply> {
        arena.message(baton__v1__weight_done_reply__init) {
            $0.regions_verified = m.regionsVerified
            $0.bytes_received = m.bytesReceived
        }
    }

    func binary(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: arena.array(bytes))
    }
}
