// The portable kernels: the generic dot products compiled for the baseline ISA. Every CPU runs these.
#include "generic.h"

GEN_DEFINE_ALL(baton_portable, __attribute__((visibility("hidden"))))

__attribute__((visibility("hidden"))) const baton_dot_fn baton_portable_table[BATON_DOT_COUNT] = GEN_TABLE(baton_portable);
