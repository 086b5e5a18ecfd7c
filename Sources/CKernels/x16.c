// Row-interleaved ("x16") layout for Q4_0, Q4_1 and Q8_0, and its dot kernels: a portable one and an AVX-512
// VNNI one in which each vpdpbusd multiplies 4 bytes of 16 rows with the same 4 activation bytes.
#include "generic.h"

typedef struct { int block_bytes, header; } x16_format;
static const x16_format x16_formats[BATON_X16_COUNT] = { { 18, 2 }, { 20, 4 }, { 34, 2 } };

static inline int x16_valid(int format) { return format >= 0 && format < BATON_X16_COUNT; }

long baton_x16_size(int format, int rows, int blocks) {
    if (!x16_valid(format) || rows < 0 || blocks < 0) return -1;
    const long groups = ((long)rows + 15) / 16;
    return groups * blocks * 16L * x16_formats[format].block_bytes;
}

/// Where byte `i` of row r's block lands inside its tile.
static inline long tile_offset(int header, int r, int i) {
    if (i < 2) return 2 * r + i;                     // d
    if (i < header) return 32 + 2 * r + (i - 2);     // m
    const int q = i - header;
    return 16L * header + 64L * (q / 4) + 4L * r + (q % 4);
}

void baton_x16_pack(int format, const void *src, long row_bytes, int rows, int blocks, void *dst) {
    if (!x16_valid(format)) return;
    const x16_format f = x16_formats[format];
    const long tile = 16L * f.block_bytes, groups = ((long)rows + 15) / 16;
    uint8_t *out = dst;
    for (long g = 0; g < groups; g++) {
        for (int b = 0; b < blocks; b++) {
            uint8_t *t = out + (g * blocks + b) * tile;
            for (int r = 0; r < 16; r++) {
                const long row = 16 * g + r;
                const uint8_t *block = row < rows ? (const uint8_t *)src + row * row_bytes + (long)b * f.block_bytes : 0;
                for (int i = 0; i < f.block_bytes; i++) t[tile_offset(f.header, r, i)] = block ? block[i] : 0;
            }
        }
    }
}

void baton_x16_unpack_row(int format, const void *packed, int rows, int blocks, int row, void *dst) {
    if (!x16_valid(format) || row < 0 || row >= rows) return;
    const x16_format f = x16_formats[format];
    const long tile = 16L * f.block_bytes, g = row / 16;
    const int r = row % 16;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *t = (const uint8_t *)packed + (g * blocks + b) * tile;
        uint8_t *block = (uint8_t *)dst + (long)b * f.block_bytes;
        for (int i = 0; i < f.block_bytes; i++) block[i] = t[tile_offset(f.header, r, i)];
    }
}

// MARK: Portable: per row, the same integer sums and f32 steps as the row kernels

static void x16_portable(int format, int nb, const uint8_t *group, const baton_act *x, int ntok,
                         float *out, long stride, int valid) {
    const x16_format f = x16_formats[format];
    const long tile = 16L * f.block_bytes;
    for (int t = 0; t < ntok; t++) {
        for (int r = 0; r < valid; r++) {
            float acc = 0, mins = 0;
            for (int b = 0; b < nb; b++) {
                const uint8_t *tl = group + b * tile, *q = tl + 16 * f.header + 4 * r;
                const int8_t *y = x[t].qs + 32 * b;
                int32_t s = 0;
                if (format == BATON_X16_Q8_0) {
                    for (int c = 0; c < 8; c++)
                        for (int k = 0; k < 4; k++) s += (int8_t)q[64 * c + k] * y[4 * c + k];
                } else {
                    const int offset = format == BATON_X16_Q4_0 ? 8 : 0;
                    for (int c = 0; c < 4; c++)
                        for (int k = 0; k < 4; k++)
                            s += ((q[64 * c + k] & 15) - offset) * y[4 * c + k] + ((q[64 * c + k] >> 4) - offset) * y[16 + 4 * c + k];
                }
                acc += (float)s * (gen_half(tl + 2 * r) * x[t].d[b]);
                if (format == BATON_X16_Q4_1) mins += gen_half(tl + 32 + 2 * r) * x[t].s[b];
            }
            out[t * stride + r] = acc + mins;
        }
    }
}

// MARK: AVX-512 VNNI

#if defined(__x86_64__)
#include <immintrin.h>
#define ATTR_X16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"), always_inline)) static inline

ATTR_X16 __m512i bcast4(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return _mm512_set1_epi32(v); }

/// One block column of a group for `T` tokens: integer sums per (token, row lane), then the f32 steps.
ATTR_X16 void x16_block(int format, const uint8_t *tl, const baton_act *x, int b, int T, __m512 *acc, __m512 *mins) {
    const __m512i m4 = _mm512_set1_epi8(15), flip = _mm512_set1_epi8((char)0x80);
    __m512i s[4] = { _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512() };
    const uint8_t *q = tl + (format == BATON_X16_Q4_1 ? 64 : 32);
    if (format == BATON_X16_Q8_0) {
        for (int c = 0; c < 8; c++) {
            const __m512i u = _mm512_xor_si512(_mm512_loadu_si512(q + 64 * c), flip);  // w + 128, unsigned
            for (int t = 0; t < T; t++) s[t] = _mm512_dpbusd_epi32(s[t], u, bcast4(x[t].qs + 32 * b + 4 * c));
        }
        for (int t = 0; t < T; t++) s[t] = _mm512_sub_epi32(s[t], _mm512_set1_epi32(128 * x[t].sums[b]));
    } else {
        for (int c = 0; c < 4; c++) {
            const __m512i v = _mm512_loadu_si512(q + 64 * c);
            const __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            for (int t = 0; t < T; t++) {
                s[t] = _mm512_dpbusd_epi32(s[t], lo, bcast4(x[t].qs + 32 * b + 4 * c));
                s[t] = _mm512_dpbusd_epi32(s[t], hi, bcast4(x[t].qs + 32 * b + 16 + 4 * c));
            }
        }
        if (format == BATON_X16_Q4_0)
            for (int t = 0; t < T; t++) s[t] = _mm512_sub_epi32(s[t], _mm512_set1_epi32(8 * x[t].sums[b]));
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tl));
    for (int t = 0; t < T; t++)
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[t]), _mm512_mul_ps(d, _mm512_set1_ps(x[t].d[b])), acc[t]);
    if (format == BATON_X16_Q4_1) {
        const __m512 m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tl + 32)));
        for (int t = 0; t < T; t++) mins[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(x[t].s[b]), mins[t]);
    }
}

ATTR_X16 void x16_tokens(int format, int nb, const uint8_t *group, const baton_act *x, int T, float *out, long stride, int valid) {
    const long tile = 16L * x16_formats[format].block_bytes;
    __m512 acc[4], mins[4];
    for (int t = 0; t < 4; t++) { acc[t] = _mm512_setzero_ps(); mins[t] = _mm512_setzero_ps(); }
    for (int b = 0; b < nb; b++) x16_block(format, group + b * tile, x, b, T, acc, mins);
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    for (int t = 0; t < T; t++) _mm512_mask_storeu_ps(out + t * stride, mask, _mm512_add_ps(acc[t], mins[t]));
}

#define X16_VARIANT(name, F, T) \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"))) static void name( \
        int nb, const uint8_t *g, const baton_act *x, float *out, long stride, int valid) { x16_tokens(F, nb, g, x, T, out, stride, valid); }
X16_VARIANT(x16_q4_0_1, BATON_X16_Q4_0, 1) X16_VARIANT(x16_q4_0_4, BATON_X16_Q4_0, 4)
X16_VARIANT(x16_q4_1_1, BATON_X16_Q4_1, 1) X16_VARIANT(x16_q4_1_4, BATON_X16_Q4_1, 4)
X16_VARIANT(x16_q8_0_1, BATON_X16_Q8_0, 1) X16_VARIANT(x16_q8_0_4, BATON_X16_Q8_0, 4)
X16_VARIANT(x16_q4_0_2, BATON_X16_Q4_0, 2) X16_VARIANT(x16_q4_0_3, BATON_X16_Q4_0, 3)
X16_VARIANT(x16_q4_1_2, BATON_X16_Q4_1, 2) X16_VARIANT(x16_q4_1_3, BATON_X16_Q4_1, 3)
X16_VARIANT(x16_q8_0_2, BATON_X16_Q8_0, 2) X16_VARIANT(x16_q8_0_3, BATON_X16_Q8_0, 3)

typedef void (*x16_fn)(int, const uint8_t *, const baton_act *, float *, long, int);
static const x16_fn x16_avx512[BATON_X16_COUNT][4] = {
    { x16_q4_0_1, x16_q4_0_2, x16_q4_0_3, x16_q4_0_4 },
    { x16_q4_1_1, x16_q4_1_2, x16_q4_1_3, x16_q4_1_4 },
    { x16_q8_0_1, x16_q8_0_2, x16_q8_0_3, x16_q8_0_4 },
};
#endif

void baton_x16_dot(int isa, int format, int blocks, const void *group, const baton_act *x, int ntok,
                   float *out, long stride, int valid) {
    if (!x16_valid(format) || ntok < 1 || ntok > 4 || valid < 1 || valid > 16) return;
#if defined(__x86_64__)
    if (isa >= BATON_ISA_AVX512_VNNI && isa <= baton_isa_best()) {
        x16_avx512[format][ntok - 1](blocks, group, x, out, stride, valid);
        return;
    }
#endif
    x16_portable(format, blocks, group, x, ntok, out, stride, valid);
}
