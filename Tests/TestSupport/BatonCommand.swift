import Foundation

/// What a `baton` subcommand printed and how it exited.
public struct BatonRun: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String

    public var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `baton ARGUMENTS…` (the binary workers use) to completion. Both pipes are drained on their own
/// threads, so a chatty child can never block on a full pipe.
public func runBaton(_ arguments: [String]) throws -> BatonRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: WorkerProcess.binary)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = Locked(Data()), errData = Locked(Data())
    let done = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        done.enter()
        Thread.detachNewThread {
            sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
            done.leave()
        }
    }
    done.wait()
    process.waitUntilExit()
    return BatonRun(status: process.terminationStatus, stdout: outData.get(),
                    stderr: String(decoding: errData.get(), as: UTF8.self))
}
