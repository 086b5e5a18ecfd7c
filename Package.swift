// swift-tools-version:6.0
// Baton: pipeline-parallel Llama inference. The module graph, each module with what it imports (besides the
// platform: Glibc, Darwin, Musl, Foundation, Dispatch, Synchronization); scripts/check-imports.sh checks it
// against the sources' `import` lines:
//   GGUF         ←
//   CKernels     ←
//   Kernels      ← CKernels
//   Llama        ← GGUF, Kernels
//   Tokenizer    ← GGUF
//   Quantization ← GGUF, Kernels
//   Synthetic    ← GGUF, Kernels, Quantization
//   Digest       ← Crypto
//   Sampling     ←
//   Engine       ← Kernels, Llama, Logging, Sampling
//   Wire         ← CBatonProto, CProtobufC, CZMQ, Logging
//   Worker       ← Digest, Engine, GGUF, Kernels, Llama, Logging, Sampling, Wire
//   Coordinator  ← Digest, Engine, GGUF, Llama, Logging, Sampling, Tokenizer, Wire
//   Server       ← Coordinator, Engine, Hummingbird, Logging, NIOCore, Prometheus, Sampling, ServiceLifecycle, Tokenizer
//   baton        ← ArgumentParser, Coordinator, Engine, GGUF, Kernels, Llama, Logging, Quantization, Sampling, Server,
//                  ServiceLifecycle, Synthetic, Tokenizer, Wire (CURVE key files), Worker
// Engine is what one process and a pipeline share (stage engine, sessions, Pipeline); Worker is the worker
// process (sockets, compute loop, weight cache); Coordinator drives workers and maps the wire's error codes to
// its PipelineError, so Server sees neither Worker nor Wire. Wire is the only Swift module that sees C
// (CBatonProto: protoc-c output of proto/baton.proto by scripts/gen-proto.sh; CZMQ, CProtobufC: system
// libraries); CKernels holds only the innermost SIMD kernels.
import PackageDescription

/// Release builds (`-c release`, as scripts/build.sh and scripts/test.sh build) optimize everything; the innermost
/// dot products are C (CKernels) with their own per-function target attributes.
let package = Package(
    name: "Baton",
    products: [
        .executable(name: "baton", targets: ["baton"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // GGUF reader/writer: every key and tensor name in one table, a bounds-checked cursor, typed errors.
        .target(name: "GGUF"),
        // The registry of weight formats (layouts, dequantize, quantize), mat-vec / mat-mat drivers, thread pool.
        .target(name: "Kernels", dependencies: ["CKernels"]),
        // The innermost integer dot kernels in C: x86 intrinsics (AVX2, AVX-512 VNNI) behind a runtime CPU
        // check, and a portable build of the same generic source.
        .target(name: "CKernels"),
        // Llama layers over a contiguous layer range, attention, KV cache.
        .target(name: "Llama", dependencies: ["GGUF", "Kernels"]),
        // GPT-2 byte-level BPE built from GGUF metadata.
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        // Synthetic models: published Llama shapes, a real tokenizer, deterministic random weights, streamed to disk.
        .target(name: "Synthetic", dependencies: ["GGUF", "Kernels", "Quantization"]),
        // llama-quantize's per-tensor type choice for each mix (one table, used by quantize and synth) and the
        // streaming requantizer behind `baton quantize`.
        .target(name: "Quantization", dependencies: ["GGUF", "Kernels"]),
        // SHA-256 (swift-crypto: BoringSSL's SHA-NI/AVX2 code) and pread-based file hashing: content ids for model
        // files and checks on streamed weights.
        .target(name: "Digest", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Sampler chain: penalties → top-k → top-p → min-p → temperature → draw.
        .target(name: "Sampling"),
        // What one process and a pipeline share: a stage with its sessions (KV cache slice, sampler on the last
        // stage), the Pipeline protocol and the in-process pipeline, memory budgets, transfer progress.
        .target(name: "Engine", dependencies: [
            "Llama", "Kernels", "Sampling", .product(name: "Logging", package: "swift-log"),
        ]),
        // The worker process: its sockets, compute loop and weight cache.
        .target(name: "Worker", dependencies: [
            "Engine", "Llama", "Kernels", "Sampling", "GGUF", "Wire", "Digest", .product(name: "Logging", package: "swift-log"),
        ]),
        // Tokenizes, drives a pipeline of stages (in-process or remote workers), streams text.
        .target(name: "Coordinator", dependencies: [
            "Engine", "Wire", "Llama", "Tokenizer", "Sampling", "GGUF", "Digest", .product(name: "Logging", package: "swift-log"),
        ]),
        // The OpenAI-compatible HTTP API over the coordinator (Hummingbird). Never imported by Worker.
        .target(name: "Server", dependencies: [
            "Coordinator", "Engine", "Tokenizer", "Sampling",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // System libraries, imported only by Wire.
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c",
                       providers: [.apt(["libprotobuf-c-dev"]), .brew(["protobuf-c"])]),
        // protoc-c output for proto/baton.proto; regenerate with scripts/gen-proto.sh, never edit.
        .target(name: "CBatonProto", dependencies: ["CProtobufC"]),
        // Messages between processes as Swift values, their protobuf encoding, and ZeroMQ sockets.
        .target(name: "Wire", dependencies: [
            "CZMQ", "CProtobufC", "CBatonProto", .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "baton", dependencies: [
            "GGUF", "Kernels", "Llama", "Tokenizer", "Sampling", "Engine", "Worker", "Coordinator", "Server", "Synthetic", "Wire",
            "Quantization", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TestSupport", dependencies: ["GGUF"], path: "Tests/TestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "TestSupport"]),
        .testTarget(name: "DigestTests", dependencies: ["Digest", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF"]),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "GGUF", "Kernels", "Digest", "Tokenizer", "Sampling", "TestSupport"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "Sampling", "TestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling"]),
        .testTarget(name: "SyntheticTests", dependencies: [
            "Synthetic", "GGUF", "Kernels", "Llama", "Tokenizer", "TestSupport",
        ]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "CBatonProto", "CProtobufC", "Sampling"]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "GGUF", "Kernels", "Digest", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: [
            "Coordinator", "Engine", "Worker", "Wire", "Llama", "Kernels", "Tokenizer", "Sampling", "GGUF", "Digest", "TestSupport",
        ]),
        // libFuzzer harnesses over the worker's message handling, the GGUF parser and the HTTP request decoders
        // (their executables are added below for scripts/fuzz.sh); FuzzTests replays the corpus through them.
        .target(name: "FuzzHarness", dependencies: [
            "GGUF", "Llama", "Tokenizer", "Wire", "Worker", "Server", .product(name: "Logging", package: "swift-log"),
        ], path: "Fuzz/Harness"),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzHarness", "GGUF", "Llama", "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Coordinator", "Engine", "Tokenizer", "TestSupport", "Wire",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)

// The fuzzer executables exist only for scripts/fuzz.sh (BATON_FUZZ=1, built with -sanitize=fuzzer, which links
// libFuzzer): each starts libFuzzer's driver (FuzzDriver, through CLibFuzzer's declaration of it).
if Context.environment["BATON_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CLibFuzzer", path: "Fuzz/Targets/CLibFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Fuzz/Targets/FuzzDriver"),
    ]
    for name in ["EnvelopeFuzzer", "GGUFFuzzer", "HTTPFuzzer"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzDriver", "FuzzHarness"],
                                                 path: "Fuzz/Targets/\(name)"))
    }
}
