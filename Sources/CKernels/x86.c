// x86 kernels at two levels: AVX2 (+FMA, F16C) and AVX-512 VL with VNNI: the hand-written kernels in
// x86_kernels.inc, compiled once per level (the include below).
#if defined(__x86_64__)
#include <immintrin.h>
#include "generic.h"

#define ATTR_AVX2 __attribute__((target("avx2,fma,f16c,bmi2"), visibility("hidden")))
#define ATTR_AVX512 __attribute__((target("avx2,fma,f16c,bmi2,avx512f,avx512dq,avx512bw,avx512vl,avx512vnni"), visibility("hidden")))


// AVX2: u8×s8 products summed in pairs to i16 (pmaddubsw), then to i32. Safe from i16 saturation while
// u ≤ 128, which holds for every operand below (nibbles, 6-bit values, |i8| via the sign trick).
#define SUFFIX avx2
#define ATTR ATTR_AVX2
#define DPBUSD(acc, u, s) _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (s)), _mm256_set1_epi16(1)))
#define HAS_MASK_BYTES 0
#include "x86_kernels.inc"
#undef SUFFIX
#undef ATTR
#undef DPBUSD
#undef HAS_MASK_BYTES

// AVX-512 VNNI on 256-bit vectors: vpdpbusd does the four-way u8×s8 sum in one instruction. Zen 4 splits
// 512-bit operations into two 256-bit halves, so wider vectors would buy nothing there.
#define SUFFIX avx512
#define ATTR ATTR_AVX512
#define DPBUSD(acc, u, s) _mm256_dpbusd_epi32((acc), (u), (s))
#define HAS_MASK_BYTES 1
#include "x86_kernels.inc"

__attribute__((visibility("hidden"))) const baton_dot_fn baton_avx2_table[BATON_DOT_COUNT] = {
    k_q4_0_avx2, k_q4_1_avx2, k_q5_0_avx2, k_q5_1_avx2, k_q8_0_avx2, k_iq4_nl_avx2,
    k_q2_k_avx2, k_q3_k_avx2, k_q4_k_avx2, k_q5_k_avx2, k_q6_k_avx2, k_iq4_xs_avx2 };
__attribute__((visibility("hidden"))) const baton_dot_fn baton_avx512_table[BATON_DOT_COUNT] = {
    k_q4_0_avx512, k_q4_1_avx512, k_q5_0_avx512, k_q5_1_avx512, k_q8_0_avx512, k_iq4_nl_avx512,
    k_q2_k_avx512, k_q3_k_avx512, k_q4_k_avx512, k_q5_k_avx512, k_q6_k_avx512, k_iq4_xs_avx512 };
#endif
