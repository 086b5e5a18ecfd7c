// The HTTP fuzzer (built only by scripts/fuzz.sh, with -sanitize=fuzzer): libFuzzer's driver over HTTPHarness.
import Foundation
import FuzzDriver
import FuzzHarness

FuzzSetup.silenceLogs()
exit(runFuzzer(HTTPHarness.run))
