/// Swift mirrors of the handshake and stage-loading messages of proto/baton.proto.
/// Field meanings are documented in the .proto; only Swift-specific notes are repeated here.

public enum Role: UInt32, Sendable, Hashable, CustomStringConvertible {
    case unspecified = 0
    case coordinator = 1
    case worker = 2

    public var description: String {
        switch self {
        case .unspecified: "peer"
        case .coordinator: "coordinator"
        case .worker: "worker"
        }
    }
}

/// Optional worker features. Values this build does not know are dropped when decoding: a feature the
/// coordinator cannot name is one it cannot use.
public enum Capability: UInt32, Sendable, Hashable, CaseIterable {
    case kvF16 = 1
    case kvF32 = 2
    case promptLogprobs = 3
    case weightStreaming = 4
    case forwardBatch = 5
    case prefixReuse = 6
}

public enum KVType: UInt32, Sendable, Hashable {
    case unspecified = 0
    case f16 = 1
    case f32 = 2
}

public struct Hello: Sendable, Hashable {
    public var version: ProtocolVersion
    public var peerID: String
    public var role: Role

    public init(version: ProtocolVersion = .current, peerID: String, role: Role) {
        self.version = version
        self.peerID = peerID
        self.role = role
    }
}

public struct HelloReply: Sendable, Hashable {
    public var version: ProtocolVersion
    public var workerID: String
    public var threads: UInt32
    public var freeMemoryBytes: UInt64
    public var totalMemoryBytes: UInt64
    public var capabilities: [Capability]
    public var dataEndpoint: String
    public var softwareVersion: String
    /// Bytes the worker offers for weights + KV caches + scratch; 0 = not reported (older worker).
    public var memoryBudgetBytes: UInt64

    public init(version: ProtocolVersion = .current, workerID: String, threads: UInt32,
                freeMemoryBytes: UInt64, totalMemoryBytes: UInt64, capabilities: [Capability],
                dataEndpoint: String, softwareVersion: String = "", memoryBudgetBytes: UInt64 = 0) {
        self.version = version
        self.workerID = workerID
        self.threads = threads
        self.freeMemoryBytes = freeMemoryBytes
        self.totalMemoryBytes = totalMemoryBytes
        self.capabilities = capabilities
        self.dataEndpoint = dataEndpoint
        self.softwareVersion = softwareVersion
        self.memoryBudgetBytes = memoryBudgetBytes
    }
}

public struct LoadStage: Sendable, Hashable {
    public var modelPath: String
    public var modelSHA256: String
    public var layerBegin: UInt32
    /// Exclusive.
    public var layerEnd: UInt32
    public var isFirst: Bool
    public var isLast: Bool
    public var contextLength: UInt32
    public var kvType: KVType
    public var maxSessions: UInt32
    public var nextHop: String
    public var stageIndex: UInt32
    public var stageCount: UInt32
    public var threads: UInt32
    /// The coordinator can stream the weights: a worker without a local copy answers `weightsRequired`.
    public var canStreamWeights: Bool
    /// With `modelSHA256`: the cache entry to load, the sha256 of the stage's weight manifest as the coordinator
    /// computes it from its file (`WeightManifestDigest`); empty before the coordinator has hashed its file.
    public var weightsManifestSHA256: [UInt8] = []
    /// next_hop takes ForwardBatch (1.4).
    public var nextHopTakesBatches = false
    /// The user's override of the file's rope scaling: "" = the file's; "none", "linear" or "yarn".
    public var ropeScaling = ""
    public var ropeScale: Float = 0
    /// yarn: the trained length it extends (0 = the file's context_length).
    public var ropeOriginalContext: UInt32 = 0
    /// CURVE (empty without keys): the 32-byte public key the previous hop's PUSH authenticates with, which this
    /// stage's data PULL alone admits; and the public key of `nextHop`'s server, which this stage's PUSH pins.
    public var previousHopPublicKey: [UInt8] = []
    public var nextHopPublicKey: [UInt8] = []

    public init(modelPath: String, modelSHA256: String, layerBegin: UInt32, layerEnd: UInt32,
                isFirst: Bool, isLast: Bool, contextLength: UInt32, kvType: KVType, maxSessions: UInt32,
                nextHop: String, stageIndex: UInt32, stageCount: UInt32, threads: UInt32 = 0,
                canStreamWeights: Bool = false) {
        self.canStreamWeights = canStreamWeights
        self.modelPath = modelPath
        self.modelSHA256 = modelSHA256
        self.layerBegin = layerBegin
        self.layerEnd = layerEnd
        self.isFirst = isFirst
        self.isLast = isLast
        self.contextLength = contextLength
        self.kvType = kvType
        self.maxSessions = maxSessions
        self.nextHop = nextHop
        self.stageIndex = stageIndex
        self.stageCount = stageCount
        self.threads = threads
    }
}

/// A success, or (`weightsRequired`) "nothing loaded: stream the weights"; a failed load is answered with an
/// `ErrorMessage`.
public struct LoadStageReply: Sendable, Hashable {
    public var weightBytes: UInt64
    public var kvBytesPerSession: UInt64
    public var loadMilliseconds: UInt32
    public var nEmbd: UInt32
    public var nLayersTotal: UInt32
    public var weightsRequired: Bool
    public var fromCache: Bool

    public init(weightBytes: UInt64, kvBytesPerSession: UInt64, loadMilliseconds: UInt32,
                nEmbd: UInt32, nLayersTotal: UInt32, weightsRequired: Bool = false, fromCache: Bool = false) {
        self.weightsRequired = weightsRequired
        self.fromCache = fromCache
        self.weightBytes = weightBytes
        self.kvBytesPerSession = kvBytesPerSession
        self.loadMilliseconds = loadMilliseconds
        self.nEmbd = nEmbd
        self.nLayersTotal = nLayersTotal
    }
}
