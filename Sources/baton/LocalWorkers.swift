import Foundation

/// `baton worker` child processes on 127.0.0.1, for benchmarks that need a pipeline but were given no
/// `--workers`. Each binds OS-chosen ports and reports them on its ready line.
final class LocalWorkers {
    private(set) var processes: [Process] = []
    private(set) var endpoints: [String] = []

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    init(count: Int, threads: Int) throws {
        let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        do {
            for _ in 0..<count {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["worker", "--listen", "tcp://127.0.0.1:*", "--threads", "\(threads)", "--log-level", "warning"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                processes.append(process)
                endpoints.append(try Self.controlEndpoint(from: output.fileHandleForReading))
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Reads stdout up to the "ready control=… data=…" line.
    private static func controlEndpoint(from handle: FileHandle) throws -> String {
        var buffer = Data()
        while true {
            let chunk = handle.availableData
            guard !chunk.isEmpty else { throw StartError(description: "a local worker exited before it was ready") }
            buffer += chunk
            let text = String(decoding: buffer, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }),
               let field = line.split(separator: " ").first(where: { $0.hasPrefix("control=") }) {
                return String(field.dropFirst("control=".count))
            }
        }
    }

    func stop() {
        for process in processes where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        processes.removeAll()
    }

    deinit { stop() }
}
