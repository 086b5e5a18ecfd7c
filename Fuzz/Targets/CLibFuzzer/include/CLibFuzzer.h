// libFuzzer's driver, called from each fuzzer's main: SwiftPM links an executable's own entry point as `main`, so
// libFuzzer's main is never linked and the fuzzers start the driver themselves (libclang_rt.fuzzer has it).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
