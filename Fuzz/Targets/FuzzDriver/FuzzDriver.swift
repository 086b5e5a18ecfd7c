import CLibFuzzer

/// The harness libFuzzer's C callback calls (a C function pointer cannot capture it).
nonisolated(unsafe) private var harness: ((UnsafeRawBufferPointer) -> String?)?

/// Runs libFuzzer's driver, with this process's arguments, over `input`: each input is handed to it, and a
/// finding it returns (what is wrong, short of a trap) becomes a trap, which libFuzzer reports with the input.
public func runFuzzer(_ input: @escaping (UnsafeRawBufferPointer) -> String?) -> Int32 {
    harness = input
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        if let finding = harness?(UnsafeRawBufferPointer(start: data, count: size)) {
            fatalError(finding)   // the fuzzer's way to report: the process is libFuzzer's, not a server
        }
        return 0
    }
}
