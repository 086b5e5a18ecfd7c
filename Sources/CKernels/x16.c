// Row-interleaved ("x16") layout and its dot kernels: a portable one (each row rebuilt, then the generic dot)
// and AVX-512 VNNI ones in which each vpdpbusd multiplies 4 bytes of 16 rows with the same 4 activation bytes.
#include "generic.h"

/// A format's block: its size, the offsets of its f16 fields, and its generic dot (for the portable path).
typedef struct {
    int block_bytes, halves, half_at[2], values;
    float (*dot)(int, const void *, const baton_act *);
    int (*word_position)(int);  // where word w of the non-f16 bytes goes; null: in order
} x16_format;

static float gdot_q4_0(int n, const void *w, const baton_act *x) { return gen_dot_q4_0(n, w, x); }
static float gdot_q4_1(int n, const void *w, const baton_act *x) { return gen_dot_q4_1(n, w, x); }
static float gdot_q8_0(int n, const void *w, const baton_act *x) { return gen_dot_q8_0(n, w, x); }
static float gdot_q4_k(int n, const void *w, const baton_act *x) { return gen_dot_q4_k(n, w, x); }
static float gdot_q6_k(int n, const void *w, const baton_act *x) { return gen_dot_q6_k(n, w, x); }

/// Q6_K's words in the order its kernel reads them: for each 128-value half n and word i, ql word 16n+i,
/// ql word 16n+8+i and qh word 8n+i side by side, then the scales; a tile is then read front to back (in three
/// separate streams the hardware prefetchers fall behind: 9 instead of 25 GB/s).
static int q6_k_word_position(int w) {
    if (w < 32) { const int n = w / 16, i = w % 16; return i < 8 ? 3 * (8 * n + i) : 3 * (8 * n + i - 8) + 1; }
    if (w < 48) return 3 * (w - 32) + 2;
    return w;
}

static const x16_format x16_formats[BATON_X16_COUNT] = {
    { 18, 1, { 0, 0 }, 32, gdot_q4_0, 0 }, { 20, 2, { 0, 2 }, 32, gdot_q4_1, 0 }, { 34, 1, { 0, 0 }, 32, gdot_q8_0, 0 },
    { 144, 2, { 0, 2 }, 256, gdot_q4_k, 0 },
    { 210, 1, { 208, 0 }, 256, gdot_q6_k, q6_k_word_position },
};

static inline int x16_valid(int format) { return format >= 0 && format < BATON_X16_COUNT; }

long baton_x16_size(int format, int rows, int blocks) {
    if (!x16_valid(format) || rows < 0 || blocks < 0) return -1;
    const long groups = ((long)rows + 15) / 16;
    return groups * blocks * 16L * x16_formats[format].block_bytes;
}

/// Copies one row's block into (pack) or out of (unpack) its tile: the f16 fields, then whole 4-byte words.
static void move_block(const x16_format *f, const int *word_at, int r, uint8_t *tile, uint8_t *block, int pack) {
    int at = 0;  // next non-f16 byte of the block
    for (int k = 0; k <= f->halves; k++) {
        const int end = k < f->halves ? f->half_at[k] : f->block_bytes;
        for (; at < end; at += 4) {
            const int w = word_at[at];
            uint8_t *slot = tile + 32L * f->halves + 64L * w + 4L * r;
            if (pack) memcpy(slot, block + at, 4); else memcpy(block + at, slot, 4);
        }
        if (k < f->halves) {
            uint8_t *slot = tile + 32L * k + 2L * r;
            if (pack) memcpy(slot, block + at, 2); else memcpy(block + at, slot, 2);
            at += 2;
        }
    }
}

/// word_at[i] = the tile word of the 4 block bytes starting at byte i (for each word's first byte).
static void word_table(const x16_format *f, int *word_at) {
    int q = 0;
    for (int i = 0; i < f->block_bytes; i++) {
        int half = 0;
        for (int k = 0; k < f->halves; k++) half |= i >= f->half_at[k] && i < f->half_at[k] + 2;
        if (half) continue;
        if (q % 4 == 0) word_at[i] = f->word_position ? f->word_position(q / 4) : q / 4;
        q++;
    }
}

void baton_x16_pack(int format, const void *src, long row_bytes, int rows, int blocks, void *dst) {
    if (!x16_valid(format)) return;
    const x16_format *f = &x16_formats[format];
    int word_at[256];
    word_table(f, word_at);
    const long tile = 16L * f->block_bytes, groups = ((long)rows + 15) / 16;
    uint8_t zero[256] = { 0 };
    for (long g = 0; g < groups; g++) {
        for (int b = 0; b < blocks; b++) {
            uint8_t *t = (uint8_t *)dst + (g * blocks + b) * tile;
            for (int r = 0; r < 16; r++) {
                const long row = 16 * g + r;
                uint8_t *block = row < rows ? (uint8_t *)src + row * row_bytes + (long)b * f->block_bytes : zero;
                move_block(f, word_at, r, t, block, 1);
            }
        }
    }
}

void baton_x16_unpack_row(int format, const void *packed, int rows, int blocks, int row, void *dst) {
    if (!x16_valid(format) || row < 0 || row >= rows) return;
    const x16_format *f = &x16_formats[format];
    int word_at[256];
    word_table(f, word_at);
    const long tile = 16L * f->block_bytes, g = row / 16;
    for (int b = 0; b < blocks; b++) {
        uint8_t *t = (uint8_t *)packed + (g * blocks + b) * tile;
        move_block(f, word_at, row % 16, t, (uint8_t *)dst + (long)b * f->block_bytes, 0);
    }
}

// MARK: Portable: each row rebuilt in ggml's layout, then the generic dot

static void x16_portable(int format, int nb, const uint8_t *group, const baton_act *x, int ntok,
                         float *out, long stride, int valid) {
    const x16_format f = x16_formats[format];
    int word_at[256];
    word_table(&f, word_at);
    uint8_t row[1 << 14];
    const int per_step = (int)(sizeof row / f.block_bytes);
    for (int r = 0; r < valid; r++) {
        for (int t = 0; t < ntok; t++) out[t * stride + r] = 0;
        for (int b0 = 0; b0 < nb; b0 += per_step) {
            const int n = nb - b0 < per_step ? nb - b0 : per_step;
            for (int b = 0; b < n; b++)
                move_block(&f, word_at, r, (uint8_t *)group + (long)(b0 + b) * 16 * f.block_bytes, row + b * f.block_bytes, 0);
            for (int t = 0; t < ntok; t++) {
                baton_act a = x[t];  // advanced to block b0: one scale per weight block in both activation formats
                a.qs += (long)b0 * f.values;
                a.d += b0;
                if (f.values == 32) { a.s += b0; if (a.sums) a.sums += b0; }
                else a.bsums += (long)b0 * 16;
                out[t * stride + r] += f.dot(n, row, &a);
            }
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
    const uint8_t *q = tl + 32 * x16_formats[format].halves;
    if (format == BATON_X16_Q8_0) {
        _Pragma("clang loop unroll(full)")
        for (int c = 0; c < 8; c++) {
            const __m512i u = _mm512_xor_si512(_mm512_loadu_si512(q + 64 * c), flip);  // w + 128, unsigned
            _Pragma("clang loop unroll(full)")
            for (int t = 0; t < T; t++) s[t] = _mm512_dpbusd_epi32(s[t], u, bcast4(x[t].qs + 32 * b + 4 * c));
        }
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) s[t] = _mm512_sub_epi32(s[t], _mm512_set1_epi32(128 * x[t].sums[b]));
    } else {
        _Pragma("clang loop unroll(full)")
        for (int c = 0; c < 4; c++) {
            const __m512i v = _mm512_loadu_si512(q + 64 * c);
            const __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            _Pragma("clang loop unroll(full)")
            for (int t = 0; t < T; t++) {
                s[t] = _mm512_dpbusd_epi32(s[t], lo, bcast4(x[t].qs + 32 * b + 4 * c));
                s[t] = _mm512_dpbusd_epi32(s[t], hi, bcast4(x[t].qs + 32 * b + 16 + 4 * c));
            }
        }
        if (format == BATON_X16_Q4_0)
            _Pragma("clang loop unroll(full)")
            for (int t = 0; t < T; t++) s[t] = _mm512_sub_epi32(s[t], _mm512_set1_epi32(8 * x[t].sums[b]));
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tl));
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++)
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[t]), _mm512_mul_ps(d, _mm512_set1_ps(x[t].d[b])), acc[t]);
    if (format == BATON_X16_Q4_1) {
        const __m512 m = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tl + 32)));
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) mins[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(x[t].s[b]), mins[t]);
    }
}

/// Byte `k` (0…3) of every lane, as i32: unsigned, and sign-extended.
ATTR_X16 __m512i byte_u(__m512i w, int k) { return _mm512_and_si512(_mm512_srli_epi32(w, 8 * k), _mm512_set1_epi32(255)); }
ATTR_X16 __m512i byte_s(__m512i w, int k) { return _mm512_srai_epi32(_mm512_slli_epi32(w, 24 - 8 * k), 24); }

/// Q4_K: the 6-bit scale and minimum of sub-block j for 16 rows, from the 3 packed scale words
/// (ggml's get_scale_min_k4, lane-wise).
ATTR_X16 void scale_min_k4(const __m512i *w, int j, __m512i *sc, __m512i *mn) {
    const __m512i m6 = _mm512_set1_epi32(63), m4 = _mm512_set1_epi32(15), m2 = _mm512_set1_epi32(3);
    if (j < 4) {
        *sc = _mm512_and_si512(byte_u(w[0], j), m6);
        *mn = _mm512_and_si512(byte_u(w[1], j), m6);
    } else {
        const int k = j - 4;
        *sc = _mm512_or_si512(_mm512_and_si512(byte_u(w[2], k), m4), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(byte_u(w[0], k), 6), m2), 4));
        *mn = _mm512_or_si512(_mm512_srli_epi32(byte_u(w[2], k), 4), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(byte_u(w[1], k), 6), m2), 4));
    }
}

/// Q4_K super-block for T tokens. Tile: d[16], dmin[16], then words: 3 of packed scales, 32 of qs.
ATTR_X16 void x16_superblock_q4_k(const uint8_t *tl, const baton_act *x, int b, int T, __m512 *acc, __m512 *mins) {
    const __m512i m4 = _mm512_set1_epi8(15);
    const uint8_t *words = tl + 64, *qs = words + 3 * 64;
    __m512i w[3] = { _mm512_loadu_si512(words), _mm512_loadu_si512(words + 64), _mm512_loadu_si512(words + 128) };
    __m512i isum[4], msum[4];
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) { isum[t] = _mm512_setzero_si512(); msum[t] = _mm512_setzero_si512(); }
    _Pragma("clang loop unroll(full)")
    for (int c = 0; c < 4; c++) {
        __m512i sc_lo, mn_lo, sc_hi, mn_hi;
        scale_min_k4(w, 2 * c, &sc_lo, &mn_lo);
        scale_min_k4(w, 2 * c + 1, &sc_hi, &mn_hi);
        // With one or two tokens, two sums per sub-block (even and odd words) halve the vpdpbusd latency chain.
        const int chains = T <= 2 ? 2 : 1;
        __m512i lo_sum[4][2], hi_sum[4][2];
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++)
            for (int k = 0; k < 2; k++) { lo_sum[t][k] = _mm512_setzero_si512(); hi_sum[t][k] = _mm512_setzero_si512(); }
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < 8; i++) {
            const __m512i v = _mm512_loadu_si512(qs + 64 * (8 * c + i));
            const __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            const int k = i % chains;
            _Pragma("clang loop unroll(full)")
            for (int t = 0; t < T; t++) {
                const int8_t *q8 = x[t].qs + 256 * b + 64 * c + 4 * i;
                lo_sum[t][k] = _mm512_dpbusd_epi32(lo_sum[t][k], lo, bcast4(q8));
                hi_sum[t][k] = _mm512_dpbusd_epi32(hi_sum[t][k], hi, bcast4(q8 + 32));
            }
        }
        _Pragma("clang loop unroll(full)")
        for (int t = 0; t < T; t++) {
            const int16_t *bs = x[t].bsums + 16 * b + 4 * c;
            const __m512i lo = _mm512_add_epi32(lo_sum[t][0], lo_sum[t][1]), hi = _mm512_add_epi32(hi_sum[t][0], hi_sum[t][1]);
            isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(lo, sc_lo), _mm512_mullo_epi32(hi, sc_hi)));
            msum[t] = _mm512_add_epi32(msum[t], _mm512_add_epi32(_mm512_mullo_epi32(mn_lo, _mm512_set1_epi32(bs[0] + bs[1])),
                                                                 _mm512_mullo_epi32(mn_hi, _mm512_set1_epi32(bs[2] + bs[3]))));
        }
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tl));
    const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(tl + 32)));
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) {
        const __m512 dx = _mm512_set1_ps(x[t].d[b]);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d, dx), acc[t]);
        mins[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(msum[t]), _mm512_mul_ps(dmin, dx), mins[t]);
    }
}

/// Q6_K super-block for T tokens. Tile: d[16], then words: (ql, ql + 32 bytes, qh) triples in reading order
/// (q6_k_word_position), then 4 of int8 scales.
ATTR_X16 void x16_superblock_q6_k(const uint8_t *tl, const baton_act *x, int b, int T, __m512 *acc) {
    const __m512i m4 = _mm512_set1_epi8(15), m2 = _mm512_set1_epi8(3), m2s2 = _mm512_set1_epi8(12);
    const __m512i m2s4 = _mm512_set1_epi8(48), m2s6 = _mm512_set1_epi8((char)192);
    const uint8_t *words = tl + 32, *scw = words + 48 * 64;
    __m512i isum[4];
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) isum[t] = _mm512_setzero_si512();
    _Pragma("clang loop unroll(full)")
    for (int n = 0; n < 2; n++) {
        _Pragma("clang loop unroll(full)")
        for (int half = 0; half < 2; half++) {  // words i = 4·half … 4·half+3: one 16-value group per quarter
            __m512i part[4][4];
            _Pragma("clang loop unroll(full)")
            for (int t = 0; t < T; t++) for (int k = 0; k < 4; k++) part[t][k] = _mm512_setzero_si512();
            _Pragma("clang loop unroll(full)")
            for (int i = 4 * half; i < 4 * half + 4; i++) {
                const uint8_t *triple = words + 3 * 64 * (8 * n + i);
                const __m512i l0 = _mm512_loadu_si512(triple), l1 = _mm512_loadu_si512(triple + 64), h = _mm512_loadu_si512(triple + 128);
                const __m512i q[4] = {
                    _mm512_or_si512(_mm512_and_si512(l0, m4), _mm512_slli_epi16(_mm512_and_si512(h, m2), 4)),
                    _mm512_or_si512(_mm512_and_si512(l1, m4), _mm512_slli_epi16(_mm512_and_si512(h, m2s2), 2)),
                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4), _mm512_and_si512(h, m2s4)),
                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4), _mm512_srli_epi16(_mm512_and_si512(h, m2s6), 2)),
                };
                _Pragma("clang loop unroll(full)")
                for (int t = 0; t < T; t++) {
                    const int8_t *q8 = x[t].qs + 256 * b + 128 * n + 4 * i;
                    _Pragma("clang loop unroll(full)")
                    for (int k = 0; k < 4; k++) part[t][k] = _mm512_dpbusd_epi32(part[t][k], q[k], bcast4(q8 + 32 * k));
                }
            }
            _Pragma("clang loop unroll(full)")
            for (int k = 0; k < 4; k++) {
                const int g = 8 * n + 2 * k + half;  // the 16-value group of quarter k
                const __m512i sc = byte_s(_mm512_loadu_si512(scw + 64 * (g / 4)), g % 4);
                _Pragma("clang loop unroll(full)")
                for (int t = 0; t < T; t++) {
                    const __m512i centred = _mm512_sub_epi32(part[t][k], _mm512_set1_epi32(32 * x[t].bsums[16 * b + g]));
                    isum[t] = _mm512_add_epi32(isum[t], _mm512_mullo_epi32(centred, sc));
                }
            }
        }
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)tl));
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[t]), _mm512_mul_ps(d, _mm512_set1_ps(x[t].d[b])), acc[t]);
}

ATTR_X16 void x16_tokens(int format, int nb, const uint8_t *group, const baton_act *x, int T, float *out, long stride, int valid) {
    const long tile = 16L * x16_formats[format].block_bytes;
    __m512 acc[4], mins[4];
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < 4; t++) { acc[t] = _mm512_setzero_ps(); mins[t] = _mm512_setzero_ps(); }
    for (int b = 0; b < nb; b++) {
        const uint8_t *tl = group + b * tile;
        if (format == BATON_X16_Q4_K) x16_superblock_q4_k(tl, x, b, T, acc, mins);
        else if (format == BATON_X16_Q6_K) x16_superblock_q6_k(tl, x, b, T, acc);
        else x16_block(format, tl, x, b, T, acc, mins);
    }
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    _Pragma("clang loop unroll(full)")
    for (int t = 0; t < T; t++) _mm512_mask_storeu_ps(out + t * stride, mask, _mm512_add_ps(acc[t], mins[t]));
}

#define X16_VARIANT(name, F, T) \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"))) static void name( \
        int nb, const uint8_t *g, const baton_act *x, float *out, long stride, int valid) { x16_tokens(F, nb, g, x, T, out, stride, valid); }
#define X16_FORMAT(fmt, F) X16_VARIANT(fmt##_1, F, 1) X16_VARIANT(fmt##_2, F, 2) X16_VARIANT(fmt##_3, F, 3) X16_VARIANT(fmt##_4, F, 4)
X16_FORMAT(x16_q4_0, BATON_X16_Q4_0)
X16_FORMAT(x16_q4_1, BATON_X16_Q4_1)
X16_FORMAT(x16_q8_0, BATON_X16_Q8_0)
X16_FORMAT(x16_q4_k, BATON_X16_Q4_K)
X16_FORMAT(x16_q6_k, BATON_X16_Q6_K)

typedef void (*x16_fn)(int, const uint8_t *, const baton_act *, float *, long, int);
#define X16_ROW(fmt) { fmt##_1, fmt##_2, fmt##_3, fmt##_4 }
static const x16_fn x16_avx512[BATON_X16_COUNT][4] = {
    X16_ROW(x16_q4_0), X16_ROW(x16_q4_1), X16_ROW(x16_q8_0), X16_ROW(x16_q4_k), X16_ROW(x16_q6_k),
};
#endif

#if defined(__x86_64__)
// MARK: AVX2 (no VNNI): Q4_0, Q4_1, Q8_0 and Q4_K, one token at a time; a 64-byte word is two 256-bit halves (rows 0…7 and 8…15), and
// pmaddubsw + pmaddwd stand in for vpdpbusd (no i16 overflow: |u| ≤ 128).

#define ATTR_X16_AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) static inline

ATTR_X16_AVX2 __m256i dot4_avx2(__m256i acc, __m256i u, __m256i s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

ATTR_X16_AVX2 __m256i bcast4_avx2(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return _mm256_set1_epi32(v); }
ATTR_X16_AVX2 __m256i load_avx2(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
ATTR_X16_AVX2 __m256i byte_u_avx2(__m256i w, int k) { return _mm256_and_si256(_mm256_srli_epi32(w, 8 * k), _mm256_set1_epi32(255)); }
/// Each i32 lane's low 16 bits copied into its high 16 bits: one factor for both i16 pairs of a pmaddwd.
ATTR_X16_AVX2 __m256i pair16_avx2(__m256i x) {
    return _mm256_or_si256(_mm256_and_si256(x, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(x, 16));
}
/// Two i16 values in one i32, for pmaddwd against lanes holding (lo, hi) pairs.
ATTR_X16_AVX2 __m256i set_pair16(int lo, int hi) { return _mm256_set1_epi32((int32_t)((uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16))); }

/// 32-value blocks (Q4_0, Q4_1, Q8_0), rows 8h … 8h+7 of block b.
ATTR_X16_AVX2 void x16_avx2_block(int format, const uint8_t *tl, const baton_act *x, int b, int h, __m256 *acc, __m256 *mins) {
    const __m256i m4 = _mm256_set1_epi8(15);
    const uint8_t *q = tl + 32 * x16_formats[format].halves + 32 * h;
    const int8_t *y = x->qs + 32 * b;
    __m256i s = _mm256_setzero_si256();
    if (format == BATON_X16_Q8_0) {
        for (int c = 0; c < 8; c++) {
            const __m256i w = load_avx2(q + 64 * c);
            s = dot4_avx2(s, _mm256_sign_epi8(w, w), _mm256_sign_epi8(bcast4_avx2(y + 4 * c), w));
        }
    } else {
        for (int c = 0; c < 4; c++) {
            const __m256i v = load_avx2(q + 64 * c);
            s = dot4_avx2(s, _mm256_and_si256(v, m4), bcast4_avx2(y + 4 * c));
            s = dot4_avx2(s, _mm256_and_si256(_mm256_srli_epi16(v, 4), m4), bcast4_avx2(y + 16 + 4 * c));
        }
        if (format == BATON_X16_Q4_0) s = _mm256_sub_epi32(s, _mm256_set1_epi32(8 * x->sums[b]));
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 16 * h)));
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(d, _mm256_set1_ps(x->d[b])), *acc);
    if (format == BATON_X16_Q4_1) {
        const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 32 + 16 * h)));
        *mins = _mm256_fmadd_ps(m, _mm256_set1_ps(x->s[b]), *mins);
    }
}

/// Q4_K super-block b, rows 8h … 8h+7 (tile as in x16_superblock_q4_k). A sub-block's 8 words are summed in
/// i16 (8 pairs of 15·128: ≤ 30,720) and scaled by one pmaddwd.
ATTR_X16_AVX2 void x16_avx2_q4_k(const uint8_t *tl, const baton_act *x, int b, int h, __m256 *acc, __m256 *mins) {
    const __m256i m4 = _mm256_set1_epi8(15), m6 = _mm256_set1_epi32(63), m4w = _mm256_set1_epi32(15), m2 = _mm256_set1_epi32(3);
    const uint8_t *words = tl + 64 + 32 * h, *qs = words + 3 * 64;
    const __m256i w[3] = { load_avx2(words), load_avx2(words + 64), load_avx2(words + 128) };
    const int8_t *y = x->qs + 256 * b;
    const int16_t *bs = x->bsums + 16 * b;
    __m256i isum = _mm256_setzero_si256(), msum = _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        __m256i sc[2], mn[2];
        for (int k = 0; k < 2; k++) {  // get_scale_min_k4 of sub-block j = 2c + k, lane-wise
            const int j = 2 * c + k;
            if (j < 4) {
                sc[k] = _mm256_and_si256(byte_u_avx2(w[0], j), m6);
                mn[k] = _mm256_and_si256(byte_u_avx2(w[1], j), m6);
            } else {
                const __m256i top0 = _mm256_and_si256(_mm256_srli_epi32(byte_u_avx2(w[0], j - 4), 6), m2);
                const __m256i top1 = _mm256_and_si256(_mm256_srli_epi32(byte_u_avx2(w[1], j - 4), 6), m2);
                sc[k] = _mm256_or_si256(_mm256_and_si256(byte_u_avx2(w[2], j - 4), m4w), _mm256_slli_epi32(top0, 4));
                mn[k] = _mm256_or_si256(_mm256_srli_epi32(byte_u_avx2(w[2], j - 4), 4), _mm256_slli_epi32(top1, 4));
            }
        }
        __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
        for (int i = 0; i < 8; i++) {
            const __m256i v = load_avx2(qs + 64 * (8 * c + i));
            lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(_mm256_and_si256(v, m4), bcast4_avx2(y + 64 * c + 4 * i)));
            hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4), bcast4_avx2(y + 64 * c + 32 + 4 * i)));
        }
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(lo, pair16_avx2(sc[0])), _mm256_madd_epi16(hi, pair16_avx2(sc[1]))));
        const __m256i mins16 = _mm256_or_si256(mn[0], _mm256_slli_epi32(mn[1], 16));
        msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mins16, set_pair16(bs[4 * c] + bs[4 * c + 1], bs[4 * c + 2] + bs[4 * c + 3])));
    }
    const __m256 dx = _mm256_set1_ps(x->d[b]);
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 16 * h)));
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tl + 32 + 16 * h)));
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, dx), *acc);
    *mins = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, dx), *mins);
}

/// One token against a group: two accumulators of 8 rows each, both halves of a tile read before the next.
__attribute__((target("avx2,fma,f16c"))) static void x16_avx2(int format, int nb, const uint8_t *group, const baton_act *x,
                                                              float *out, int valid) {
    const long tile = 16L * x16_formats[format].block_bytes;
    __m256 acc[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() }, mins[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() };
    for (int b = 0; b < nb; b++) {
        const uint8_t *tl = group + b * tile;
        for (int h = 0; h < 2; h++) {
            if (format == BATON_X16_Q4_K) x16_avx2_q4_k(tl, x, b, h, &acc[h], &mins[h]);
            else x16_avx2_block(format, tl, x, b, h, &acc[h], &mins[h]);
        }
    }
    float result[16];
    _mm256_storeu_ps(result, _mm256_add_ps(acc[0], mins[0]));
    _mm256_storeu_ps(result + 8, _mm256_add_ps(acc[1], mins[1]));
    for (int r = 0; r < valid; r++) out[r] = result[r];
}
#endif

/// Whether `isa` has x16 kernels of its own for `format` (else the portable path runs).
int baton_x16_native(int isa, int format) {
    if (!x16_valid(format) || isa > baton_isa_best()) return 0;
    if (isa >= BATON_ISA_AVX512_VNNI) return 1;
    // Q6_K's AVX2 x16 kernel (8 rows per vector, pmaddubsw) beat its rows in cache but streamed from memory at
    // 4.5–7.6 GB/s against 6.3–8.7 for the rows (1 thread, AVX2-only Zen, 110 MB matrix), so Q6_K keeps rows.
    return isa == BATON_ISA_AVX2 && (format <= BATON_X16_Q8_0 || format == BATON_X16_Q4_K);
}

void baton_x16_dot(int isa, int format, int blocks, const void *group, const baton_act *x, int ntok,
                   float *out, long stride, int valid) {
    if (!x16_valid(format) || ntok < 1 || ntok > 4 || valid < 1 || valid > 16) return;
#if defined(__x86_64__)
    if (isa >= BATON_ISA_AVX512_VNNI && isa <= baton_isa_best()) {
        x16_avx512[format][ntok - 1](blocks, group, x, out, stride, valid);
        return;
    }
    if (baton_x16_native(isa, format)) {
        for (int t = 0; t < ntok; t++) x16_avx2(format, blocks, group, x + t, out + t * stride, valid);
        return;
    }
#endif
    x16_portable(format, blocks, group, x, ntok, out, stride, valid);
}
