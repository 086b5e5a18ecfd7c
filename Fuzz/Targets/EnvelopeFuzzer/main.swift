// The Envelope fuzzer (built only by scripts/fuzz.sh, with -sanitize=fuzzer): libFuzzer's driver over
// EnvelopeHarness, which is made before the first input.
import FuzzDriver
import Foundation
import FuzzHarness

FuzzSetup.silenceLogs()
let harness: EnvelopeHarness
do {
    harness = try EnvelopeHarness(directory: FuzzSetup.scratchDirectory("envelope"))
} catch {
    FileHandle.standardError.write(Data("envelope harness setup failed: \(error)\n".utf8))
    exit(2)
}
exit(runFuzzer { [harness] bytes in harness.run(bytes); return nil })
