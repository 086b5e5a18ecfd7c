// Flash attention over an f16 KV cache with llama.cpp's rounding (see baton_attend_f16 in the header). The
// AVX-512 version converts halves with vcvtph2ps / vcvtps2ph 16 at a time; the portable one does it bit by bit.
#include <math.h>
#include "generic.h"

/// Float → half bits, round to nearest even (vcvtps2ph's rounding); NaN stays NaN.
static inline uint16_t gen_to_half(float f) {
    union { float f; uint32_t u; } v = { f };
    const uint32_t sign = (v.u >> 16) & 0x8000, mag = v.u & 0x7fffffff;
    if (mag >= 0x47800000) return (uint16_t)(sign | (mag > 0x7f800000 ? 0x7e00 : 0x7c00));
    if (mag < 0x38800000) {  // half subnormal or zero: adding 0.5 leaves the float ulp at 2^-24
        union { uint32_t u; float f; } m = { mag };
        m.f += 0.5f;
        return (uint16_t)(sign | (m.u - 0x3f000000));
    }
    const uint32_t odd = (mag >> 13) & 1;
    return (uint16_t)(sign | ((mag + 0xc8000fff + odd) >> 13));
}

static inline float gen_round_half(float f) { uint16_t h = gen_to_half(f); return gen_half((const uint8_t *)&h); }

/// One position of the online softmax (ggml's one_chunk loop): with the position's score `s`, the running
/// maximum `m` and sum `sum` move on; returns 1 when the accumulator must first be scaled by `*ms`, and sets
/// `*vs`, the weight of this position's values.
static inline int online_softmax_step(float s, float *m, float *sum, float *ms, float *vs) {
    int rescale = 0;
    *ms = 1; *vs = 1;
    if (s > *m) {
        *ms = expf(*m - s);
        *m = s;
        rescale = 1;
    } else {
        *vs = expf(s - *m);
    }
    *sum = *sum * *ms + *vs;
    return rescale;
}

static void attend_portable(const uint16_t *keys, const uint16_t *values, long stride, int visible,
                            const float *query, int dim, float scale, float *scores, float *out) {
    float q[512];
    for (int d = 0; d < dim; d++) q[d] = gen_round_half(query[d]);
    for (int p = 0; p < visible; p++) {
        const uint16_t *k = keys + p * stride;
        float s = 0;
        for (int d = 0; d < dim; d++) s += gen_half((const uint8_t *)(k + d)) * q[d];
        scores[p] = s * scale;
    }
    float m = -INFINITY, sum = 0;
    for (int d = 0; d < dim; d++) out[d] = 0;
    for (int p = 0; p < visible; p++) {
        const uint16_t *v = values + p * stride;
        float ms, vs;
        if (online_softmax_step(scores[p], &m, &sum, &ms, &vs))
            for (int d = 0; d < dim; d++) out[d] = gen_round_half(out[d] * ms);
        for (int d = 0; d < dim; d++) out[d] = gen_round_half(fmaf(gen_half((const uint8_t *)(v + d)), vs, out[d]));
    }
    const float inv = 1 / sum;
    for (int d = 0; d < dim; d++) out[d] *= inv;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define ATTR_AVX512F __attribute__((target("avx512f,f16c,fma")))

ATTR_AVX512F static inline __m512 load_halves(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

ATTR_AVX512F static inline __m512 round_halves(__m512 v) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/// dim a multiple of 16, at most 256 (16 vectors of the accumulator stay in registers).
ATTR_AVX512F static void attend_avx512(const uint16_t *keys, const uint16_t *values, long stride, int visible,
                                       const float *query, int dim, float scale, float *scores, float *out) {
    const int n = dim / 16;
    __m512 q[16], acc[16];
    for (int i = 0; i < n; i++) { q[i] = round_halves(_mm512_loadu_ps(query + 16 * i)); acc[i] = _mm512_setzero_ps(); }
    for (int p = 0; p < visible; p++) {
        const uint16_t *k = keys + p * stride;
        // ggml_vec_dot_f16's order: four partial sums over 64 values, combined pairwise, then reduced.
        __m512 part[4] = { _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps() };
        for (int i = 0; i < n; i++) part[i % 4] = _mm512_fmadd_ps(load_halves(k + 16 * i), q[i], part[i % 4]);
        const __m512 total = _mm512_add_ps(_mm512_add_ps(part[0], part[2]), _mm512_add_ps(part[1], part[3]));
        scores[p] = _mm512_reduce_add_ps(total) * scale;
    }
    float m = -INFINITY, sum = 0;
    for (int p = 0; p < visible; p++) {
        const uint16_t *v = values + p * stride;
        float ms, vs;
        if (online_softmax_step(scores[p], &m, &sum, &ms, &vs))
            for (int i = 0; i < n; i++) acc[i] = round_halves(_mm512_mul_ps(acc[i], _mm512_set1_ps(ms)));
        const __m512 vsv = _mm512_set1_ps(vs);
        for (int i = 0; i < n; i++) acc[i] = round_halves(_mm512_fmadd_ps(load_halves(v + 16 * i), vsv, acc[i]));
    }
    const __m512 inv = _mm512_set1_ps(1 / sum);
    for (int i = 0; i < n; i++) _mm512_storeu_ps(out + 16 * i, _mm512_mul_ps(acc[i], inv));
}

#define ATTR_AVX2F __attribute__((target("avx2,f16c,fma")))

ATTR_AVX2F static inline __m256 load_halves8(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

ATTR_AVX2F static inline __m256 round_halves8(__m256 v) {
    return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

/// The same with 8-lane vectors; dim a multiple of 8, at most 128 (16 accumulator vectors).
ATTR_AVX2F static void attend_avx2(const uint16_t *keys, const uint16_t *values, long stride, int visible,
                                   const float *query, int dim, float scale, float *scores, float *out) {
    const int n = dim / 8;
    __m256 q[16], acc[16];
    for (int i = 0; i < n; i++) { q[i] = round_halves8(_mm256_loadu_ps(query + 8 * i)); acc[i] = _mm256_setzero_ps(); }
    for (int p = 0; p < visible; p++) {
        const uint16_t *k = keys + p * stride;
        __m256 part[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
        for (int i = 0; i < n; i++) part[i % 4] = _mm256_fmadd_ps(load_halves8(k + 8 * i), q[i], part[i % 4]);
        __m256 total = _mm256_add_ps(_mm256_add_ps(part[0], part[2]), _mm256_add_ps(part[1], part[3]));
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(total), _mm256_extractf128_ps(total, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        scores[p] = _mm_cvtss_f32(h) * scale;
    }
    float m = -INFINITY, sum = 0;
    for (int p = 0; p < visible; p++) {
        const uint16_t *v = values + p * stride;
        float ms, vs;
        if (online_softmax_step(scores[p], &m, &sum, &ms, &vs))
            for (int i = 0; i < n; i++) acc[i] = round_halves8(_mm256_mul_ps(acc[i], _mm256_set1_ps(ms)));
        const __m256 vsv = _mm256_set1_ps(vs);
        for (int i = 0; i < n; i++) acc[i] = round_halves8(_mm256_fmadd_ps(load_halves8(v + 8 * i), vsv, acc[i]));
    }
    const __m256 inv = _mm256_set1_ps(1 / sum);
    for (int i = 0; i < n; i++) _mm256_storeu_ps(out + 8 * i, _mm256_mul_ps(acc[i], inv));
}
#endif

void baton_attend_f16(int isa, const uint16_t *keys, const uint16_t *values, long stride, int visible,
                      const float *query, int dim, float scale, float *scores, float *out) {
#if defined(__x86_64__)
    if (isa >= BATON_ISA_AVX512_VNNI && isa <= baton_isa_best() && dim % 16 == 0 && dim <= 256) {
        attend_avx512(keys, values, stride, visible, query, dim, scale, scores, out);
        return;
    }
    if (isa >= BATON_ISA_AVX2 && isa <= baton_isa_best() && dim % 8 == 0 && dim <= 128) {
        attend_avx2(keys, values, stride, visible, query, dim, scale, scores, out);
        return;
    }
#endif
    if (dim > 512) {  // no Llama head is this wide; the loader refuses such a model first
        for (int d = 0; d < dim; d++) out[d] = NAN;
        return;
    }
    attend_portable(keys, values, stride, visible, query, dim, scale, scores, out);
}
