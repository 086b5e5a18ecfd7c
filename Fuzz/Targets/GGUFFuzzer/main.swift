// The GGUF fuzzer (built only by scripts/fuzz.sh, with -sanitize=fuzzer): libFuzzer's driver over GGUFHarness.
import Foundation
import FuzzDriver
import FuzzHarness

FuzzSetup.silenceLogs()
exit(runFuzzer(GGUFHarness.run))
