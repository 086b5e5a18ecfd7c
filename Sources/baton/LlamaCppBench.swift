import Foundation

/// Runs llama.cpp's llama-bench (built outside the repo by shared/tools/build-llamacpp.sh) and reads its
/// per-repetition tokens/s from its JSON output.
struct LlamaCppBench {
    let path: String

    struct Result { var prefill: [Double]; var decode: [Double] }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
    }

    func run(model: String, threads: Int, promptTokens: Int, genTokens: Int, repetitions: Int) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-m", model, "-t", "\(threads)", "-p", "\(promptTokens)", "-n", "\(genTokens)",
                             "-r", "\(repetitions)", "-o", "json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw BenchError(description: "cannot run llama-bench at \(path): \(error); build it with shared/tools/build-llamacpp.sh")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Row: Decodable { let n_prompt: Int; let n_gen: Int; let samples_ts: [Double] }
        guard process.terminationStatus == 0, let rows = try? JSONDecoder().decode([Row].self, from: data) else {
            throw BenchError(description: "llama-bench exited with \(process.terminationStatus) or printed no JSON")
        }
        return Result(prefill: rows.first { $0.n_prompt > 0 }?.samples_ts ?? [],
                      decode: rows.first { $0.n_gen > 0 }?.samples_ts ?? [])
    }
}
