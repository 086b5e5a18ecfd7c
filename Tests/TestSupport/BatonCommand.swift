import Foundation

/// What a `baton` subcommand printed and how it exited.
public struct BatonRun: Sendable {
    public let status: Int32
    /// False when a signal ended it (a crash, or the timeout).
    public let exitedNormally: Bool
    public let output: Data
    public let stderr: String

    public var stdout: String { String(decoding: output, as: UTF8.self) }

    /// Runs `baton ARGUMENTS…` (the binary workers use) from the package root to completion, terminating it after
    /// `timeout`. Both pipes are drained on their own threads, so a chatty child can never block on a full pipe.
    public static func run(_ arguments: [String], timeout: TimeInterval = 600) throws -> BatonRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: WorkerProcess.binary)
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exit = ChildExit(process)
        try process.run()
        let outData = Locked(Data()), errData = Locked(Data())
        let readers = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            readers.enter()
            Thread.detachNewThread {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }
        }
        if !exit.wait(process, timeout: timeout) {
            guard exit.end(process, signal: SIGTERM, grace: 10, what: "baton \(arguments.first ?? "")") else {
                throw BatonRunError(description: "baton \(arguments.joined(separator: " ")) would not end")
            }
        }
        _ = readers.wait(timeout: .now() + 5)
        let ending = exit.ending ?? ChildExit.Ending(code: SIGKILL, bySignal: true)
        return BatonRun(status: ending.code, exitedNormally: !ending.bySignal,
                        output: outData.get(), stderr: String(decoding: errData.get(), as: UTF8.self))
    }
}

public struct BatonRunError: Error, CustomStringConvertible {
    public let description: String
}

/// A model written by `baton synth` into a temporary directory of its own; `remove()` deletes it (in a defer).
public struct SyntheticFile: Sendable {
    public let path: String
    private let directory: URL

    /// `arguments`: synth's options besides --out and --tokenizer-model (the test model's tokenizer).
    public init(_ arguments: [String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("baton-synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("model.gguf").path
        let run = try BatonRun.run(["synth"] + arguments + ["--out", path, "--tokenizer-model", TestPaths.model])
        guard run.status == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw SyntheticFileError(description: "baton synth \(arguments.joined(separator: " ")) failed: \(run.stderr)")
        }
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}

public struct SyntheticFileError: Error, CustomStringConvertible {
    public let description: String
}
