import CBatonProto
import CProtobufC

/// protobuf-c weight-streaming structs → Swift values. Offsets and sizes are checked by the receiver,
/// which knows the offer; here only the shapes are.
extension ProtoDecoder {
    static func weightOffer(_ c: Baton__V1__WeightOffer) -> WeightOffer {
        WeightOffer(modelSHA256: string(c.model_sha256), fileSize: c.file_size, layerBegin: c.layer_begin,
                    layerEnd: c.layer_end, isFirst: c.is_first != 0, isLast: c.is_last != 0,
                    regions: messages(c.n_regions, c.regions) {
                        WeightRegion(name: string($0.name), fileOffset: $0.file_offset, size: $0.size)
                    },
                    maxChunkBytes: c.max_chunk_bytes)
    }

    static func weightChunk(_ c: Baton__V1__WeightChunk) throws(WireError) -> WeightChunk {
        let sha = bytes(c.region_sha256)
        guard sha.isEmpty || sha.count == 32 else {
            throw .invalid("WeightChunk.region_sha256 holds \(sha.count) bytes, expected 0 or 32")
        }
        return WeightChunk(fileOffset: c.file_offset, data: bytes(c.data), regionSHA256: sha)
    }

    static func weightCredit(_ c: Baton__V1__WeightCredit) -> WeightCredit {
        WeightCredit(chunks: c.chunks, bytesReceived: c.bytes_received)
    }

    static func weightDoneReply(_ c: Baton__V1__WeightDoneReply) -> WeightDoneReply {
        WeightDoneReply(regionsVerified: c.regions_verified, bytesReceived: c.bytes_received)
    }

    static func bytes(_ c: ProtobufCBinaryData) -> [UInt8] {
        guard c.len > 0, let p = c.data else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: c.len))
    }
}
