// Picks the kernels the CPU runs: cpuid for the instruction sets, xgetbv for the OS saving their registers.
#include "baton_kernels.h"

extern const baton_dot_fn baton_portable_table[BATON_DOT_COUNT];
#if defined(__x86_64__)
extern const baton_dot_fn baton_avx2_table[BATON_DOT_COUNT];
extern const baton_dot_fn baton_avx512_table[BATON_DOT_COUNT];
#include <cpuid.h>

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return BATON_ISA_PORTABLE;
    const int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !fma || !f16c) return BATON_ISA_PORTABLE;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6) return BATON_ISA_PORTABLE;           // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return BATON_ISA_PORTABLE;
    const int avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1;
    if (!avx2 || !bmi2) return BATON_ISA_PORTABLE;
    const int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    const int vnni = (c >> 11) & 1;
    const int zmm_state = (xcr0_lo & 0xe6) == 0xe6;                   // opmask, ZMM_Hi256, Hi16_ZMM
    if (avx512f && avx512dq && avx512bw && avx512vl && vnni && zmm_state) return BATON_ISA_AVX512_VNNI;
    return BATON_ISA_AVX2;
}
#else
static int detect(void) { return BATON_ISA_PORTABLE; }
#endif

int baton_isa_best(void) {
    static int best = -1;  // a benign race: every thread computes the same value
    if (best < 0) best = detect();
    return best;
}

const baton_dot_fn *baton_dot_table(int isa) {
    const int best = baton_isa_best();
    if (isa > best) isa = best;
#if defined(__x86_64__)
    if (isa == BATON_ISA_AVX512_VNNI) return baton_avx512_table;
    if (isa == BATON_ISA_AVX2) return baton_avx2_table;
#endif
    return baton_portable_table;
}

const char *baton_isa_name(int isa) {
    switch (isa) {
    case BATON_ISA_AVX512_VNNI: return "avx512-vnni";
    case BATON_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}
