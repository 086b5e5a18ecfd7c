import Foundation
import Glibc

/// Runs llama.cpp's llama-bench (built outside the repo by shared/tools/build-llamacpp.sh) and reads its
/// per-repetition tokens/s from its JSON output; also llama.cpp's own pipeline, llama-bench over `ggml-rpc-server`s,
/// and llama-batched-bench's decode rate at several numbers of parallel sequences.
struct LlamaCppBench {
    let path: String

    struct Result { var prefill: [Double]; var decode: [Double] }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
    }

    func run(model: String, threads: Int, promptTokens: Int, genTokens: Int, repetitions: Int) throws -> Result {
        try bench(["-m", model, "-t", "\(threads)", "-p", "\(promptTokens)", "-n", "\(genTokens)", "-r", "\(repetitions)"])
    }

    /// Decode tokens/s of llama.cpp's RPC pipeline: `servers` × `ggml-rpc-server -t threads` on 127.0.0.1 (the
    /// binary beside llama-bench), then `llama-bench --rpc A,B,… -t threads`, which splits the layers over them.
    func runRPC(servers: Int, model: String, threads: Int, genTokens: Int, repetitions: Int) throws -> [Double] {
        let server = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("ggml-rpc-server").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw BenchError(description: "no ggml-rpc-server beside \(path); build llama.cpp with -DGGML_RPC=ON "
                                          + "(shared/tools/build-llamacpp.sh does)")
        }
        var running: [Process] = []
        defer {
            // SIGKILL, not terminate(): a child started from a Swift thread inherits that thread's blocked signal
            // mask, SIGTERM included, and ggml-rpc-server never unblocks it.
            running.forEach { Glibc.kill($0.processIdentifier, SIGKILL); $0.waitUntilExit() }
        }
        var endpoints: [String] = []
        for _ in 0..<servers {
            let port = try Self.freePort()
            running.append(try launch(server, ["-H", "127.0.0.1", "-p", "\(port)", "-t", "\(threads)"], stdout: nil))
            try Self.waitForListener(port: port, seconds: 10)
            endpoints.append("127.0.0.1:\(port)")
        }
        return try bench(["-m", model, "--rpc", endpoints.joined(separator: ","), "-t", "\(threads)", "-p", "0",
                          "-n", "\(genTokens)", "-r", "\(repetitions)"]).decode
    }

    /// S_TG t/s per parallel level from llama-batched-bench (the binary beside llama-bench): `levels` sequences of
    /// `promptTokens` each prefilled as one batch, then `genTokens` decode steps of one token per sequence. Its
    /// `--output-format jsonl` prints one object per level (`pl`, `speed_tg`) on stdout.
    func runBatched(model: String, threads: Int, promptTokens: Int, genTokens: Int, levels: [Int]) throws -> [Int: Double] {
        let binary = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("llama-batched-bench").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError(description: "no llama-batched-bench beside \(path); shared/tools/build-llamacpp.sh builds it")
        }
        let list = levels.map(String.init).joined(separator: ",")
        // Without a unified KV cache llama.cpp gives each sequence 1/levels of -c, so each needs its prompt and output.
        let context = (levels.max() ?? 1) * (promptTokens + genTokens)
        let arguments = ["-m", model, "-t", "\(threads)", "-npp", "\(promptTokens)", "-ntg", "\(genTokens)", "-npl", list,
                         "-c", "\(context)", "--output-format", "jsonl"]
        let out = Pipe()
        let process = try launch(binary, arguments, stdout: out)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Row: Decodable { let pl: Int; let speed_tg: Double }
        let rows = data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Row.self, from: Data($0)) }
        let rates = Dictionary(rows.map { ($0.pl, $0.speed_tg) }, uniquingKeysWith: { first, _ in first })
        guard process.terminationStatus == 0, levels.allSatisfy({ rates[$0] != nil }) else {
            throw BenchError(description: "llama-batched-bench \(arguments.joined(separator: " ")) exited with "
                                          + "\(process.terminationStatus) or printed no row for some of \(list)")
        }
        return rates
    }

    private func bench(_ arguments: [String]) throws -> Result {
        let out = Pipe()
        let process = try launch(path, arguments + ["-o", "json"], stdout: out)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Row: Decodable { let n_prompt: Int; let n_gen: Int; let samples_ts: [Double] }
        guard process.terminationStatus == 0, let rows = try? JSONDecoder().decode([Row].self, from: data) else {
            throw BenchError(description: "llama-bench \(arguments.joined(separator: " ")) exited with "
                                          + "\(process.terminationStatus) or printed no JSON")
        }
        return Result(prefill: rows.first { $0.n_prompt > 0 }?.samples_ts ?? [],
                      decode: rows.first { $0.n_gen > 0 }?.samples_ts ?? [])
    }

    /// Starts one of llama.cpp's binaries with its shared libraries (they sit beside it) on the library path.
    private func launch(_ binary: String, _ arguments: [String], stdout: Pipe?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        let libraries = URL(fileURLWithPath: binary).deletingLastPathComponent().path
        environment["LD_LIBRARY_PATH"] = [libraries, environment["LD_LIBRARY_PATH"]].compactMap { $0 }.joined(separator: ":")
        process.environment = environment
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw BenchError(description: "cannot run \(binary): \(error); build it with shared/tools/build-llamacpp.sh")
        }
        return process
    }

    /// A loopback TCP port nobody listens on right now (the kernel's pick for port 0).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError(description: "socket(): errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw BenchError(description: "no free loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until something accepts TCP connections on 127.0.0.1:`port`.
    private static func waitForListener(port: Int, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return }
            usleep(50_000)
        }
        throw BenchError(description: "ggml-rpc-server did not listen on 127.0.0.1:\(port) within \(Int(seconds)) s")
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
