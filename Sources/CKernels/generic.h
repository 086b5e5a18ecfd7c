// Generic (portable) dot products, one per format, written as plain loops over each block so the result is
// ggml's exact integer sum per block: the portable level (portable.c), the x16 layout's portable path and the
// tails of the x86 kernels. Also the helpers every level shares (f16 → f32, packed K-quant scales).
// ggml references: ggml-cpu/quants.c, ggml_vec_dot_<type>_q8_<0|1|K>_generic.
#include <string.h>
#include "baton_kernels.h"

#define GEN_INLINE static inline __attribute__((always_inline))

/// IEEE half → float, any bit pattern (bit-exact with F16C).
GEN_INLINE float gen_half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, mag = h & 0x7fff;
    union { uint32_t u; float f; } v = { mag << 13 }, scale = { 0x77800000u };
    v.f *= scale.f;  // rebias the exponent; also turns half subnormals into the right value
    if (mag >= 0x7c00) v.u = (mag << 13) | 0x7f800000u;
    v.u |= sign;
    return v.f;
}

GEN_INLINE uint32_t gen_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static const int8_t gen_iq4nl_values[16] = { -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113 };

/// Q4_K / Q5_K: the eight 6-bit scales and mins packed in 12 bytes (ggml's get_scale_min_k4).
GEN_INLINE void gen_scale_min_k4(const uint8_t *q, uint8_t *sc, uint8_t *mn) {
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            sc[j] = q[j] & 63; mn[j] = q[j + 4] & 63;
        } else {
            sc[j] = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            mn[j] = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }
}

/// Q3_K: sixteen 6-bit scales packed in 12 bytes, returned with the −32 offset applied.
GEN_INLINE void gen_scales_q3_k(const uint8_t *packed, int8_t *scales) {
    uint32_t aux[4];
    memcpy(aux, packed, 12);
    const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f, tmp = aux[2];
    aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
    aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
    aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
    aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
    memcpy(scales, aux, 16);
    for (int j = 0; j < 16; j++) scales[j] = (int8_t)(scales[j] - 32);
}

// MARK: 32-value blocks × Q8_0 / Q8_1

GEN_INLINE float gen_dot_q4_0(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int b = 0; b < nb; b++, w += 18) {
        const int8_t *q8 = x->qs + 32 * b; int32_t s = 0;
        for (int j = 0; j < 16; j++) s += ((w[2 + j] & 15) - 8) * q8[j] + ((w[2 + j] >> 4) - 8) * q8[j + 16];
        acc += (float)s * (gen_half(w) * x->d[b]);
    }
    return acc;
}

GEN_INLINE float gen_dot_q4_1(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0, mins = 0;
    for (int b = 0; b < nb; b++, w += 20) {
        const int8_t *q8 = x->qs + 32 * b; int32_t s = 0;
        for (int j = 0; j < 16; j++) s += (w[4 + j] & 15) * q8[j] + (w[4 + j] >> 4) * q8[j + 16];
        acc += (float)s * (gen_half(w) * x->d[b]);
        mins += gen_half(w + 2) * x->s[b];
    }
    return acc + mins;
}

GEN_INLINE float gen_dot_q5_0(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int b = 0; b < nb; b++, w += 22) {
        const int8_t *q8 = x->qs + 32 * b; const uint32_t qh = gen_u32(w + 2); int32_t s = 0;
        for (int j = 0; j < 16; j++) {
            const int lo = ((w[6 + j] & 15) | (((qh >> j) << 4) & 0x10)) - 16;
            const int hi = ((w[6 + j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
            s += lo * q8[j] + hi * q8[j + 16];
        }
        acc += (float)s * (gen_half(w) * x->d[b]);
    }
    return acc;
}

GEN_INLINE float gen_dot_q5_1(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0, mins = 0;
    for (int b = 0; b < nb; b++, w += 24) {
        const int8_t *q8 = x->qs + 32 * b; const uint32_t qh = gen_u32(w + 4); int32_t s = 0;
        for (int j = 0; j < 16; j++) {
            const int lo = (w[8 + j] & 15) | (((qh >> j) << 4) & 0x10);
            const int hi = (w[8 + j] >> 4) | ((qh >> (j + 12)) & 0x10);
            s += lo * q8[j] + hi * q8[j + 16];
        }
        acc += (float)s * (gen_half(w) * x->d[b]);
        mins += gen_half(w + 2) * x->s[b];
    }
    return acc + mins;
}

GEN_INLINE float gen_dot_q8_0(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int b = 0; b < nb; b++, w += 34) {
        const int8_t *q8 = x->qs + 32 * b, *wq = (const int8_t *)(w + 2); int32_t s = 0;
        for (int j = 0; j < 32; j++) s += wq[j] * q8[j];
        acc += (float)s * (gen_half(w) * x->d[b]);
    }
    return acc;
}

GEN_INLINE float gen_dot_iq4_nl(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int b = 0; b < nb; b++, w += 18) {
        const int8_t *q8 = x->qs + 32 * b; int32_t s = 0;
        for (int j = 0; j < 16; j++)
            s += gen_iq4nl_values[w[2 + j] & 15] * q8[j] + gen_iq4nl_values[w[2 + j] >> 4] * q8[j + 16];
        acc += (float)s * (gen_half(w) * x->d[b]);
    }
    return acc;
}

// MARK: 256-value super-blocks × Q8_K

/// Q2_K { u8 scales[16] (scale | min << 4); u8 qs[64]; f16 d; f16 dmin }: w = d·sc·q − dmin·m, q 2-bit.
GEN_INLINE float gen_dot_q2_k(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int i = 0; i < nb; i++, w += 84) {
        const uint8_t *sc = w, *q2 = w + 16; const int8_t *q8 = x->qs + 256 * i; const int16_t *bs = x->bsums + 16 * i;
        int32_t summs = 0, isum = 0;
        for (int j = 0; j < 16; j++) summs += bs[j] * (sc[j] >> 4);
        int is = 0;
        for (int k = 0; k < 2; k++, q2 += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int h = 0; h < 2; h++, is++, q8 += 16) {
                    int32_t s = 0;
                    for (int l = 0; l < 16; l++) s += q8[l] * ((q2[16 * h + l] >> shift) & 3);
                    isum += (sc[is] & 0xF) * s;
                }
            }
        }
        const float d = x->d[i];
        acc += d * gen_half(w + 80) * (float)isum - d * gen_half(w + 82) * (float)summs;
    }
    return acc;
}

/// Q3_K { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d }: w = d·(sc − 32)·(q − 4·!h), q 2-bit, h the high bit.
GEN_INLINE float gen_dot_q3_k(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int i = 0; i < nb; i++, w += 110) {
        const uint8_t *hm = w, *q = w + 32; const int8_t *q8 = x->qs + 256 * i;
        int8_t scales[16];
        gen_scales_q3_k(w + 96, scales);
        int32_t isum = 0; int is = 0; uint8_t m = 1;
        for (int k = 0; k < 2; k++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int h = 0; h < 2; h++, is++, q8 += 16) {
                    int32_t s = 0;
                    for (int l = 0; l < 16; l++) {
                        const int v = ((q[16 * h + l] >> shift) & 3) - ((hm[16 * h + l] & m) ? 0 : 4);
                        s += q8[l] * v;
                    }
                    isum += scales[is] * s;
                }
            }
        }
        acc += x->d[i] * gen_half(w + 108) * (float)isum;
    }
    return acc;
}

/// Q4_K and Q5_K, which differ only in Q5_K's fifth bits: `qh` at byte 16 (0: none) and the quants after it.
GEN_INLINE float gen_dot_k_min(int nb, const void *vw, const baton_act *x, int block_bytes, int five) {
    const uint8_t *w = vw; float acc = 0;
    for (int i = 0; i < nb; i++, w += block_bytes) {
        const uint8_t *qh = w + 16, *q = w + (five ? 48 : 16); const int8_t *q8 = x->qs + 256 * i; const int16_t *bs = x->bsums + 16 * i;
        uint8_t sc[8], mn[8];
        gen_scale_min_k4(w + 4, sc, mn);
        int32_t isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) msum += mn[j] * (bs[2 * j] + bs[2 * j + 1]);
        for (int j = 0; j < 4; j++, q += 32) {
            const uint8_t u1 = (uint8_t)(1 << (2 * j)), u2 = (uint8_t)(2 << (2 * j));
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += ((q[l] & 15) + (five && (qh[l] & u1) ? 16 : 0)) * q8[64 * j + l];
                hi += ((q[l] >> 4) + (five && (qh[l] & u2) ? 16 : 0)) * q8[64 * j + 32 + l];
            }
            isum += sc[2 * j] * lo + sc[2 * j + 1] * hi;
        }
        const float d = x->d[i];
        acc += d * gen_half(w) * (float)isum - d * gen_half(w + 2) * (float)msum;
    }
    return acc;
}

/// Q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }: w = d·sc·q − dmin·m per 32 values, q 4-bit.
GEN_INLINE float gen_dot_q4_k(int nb, const void *vw, const baton_act *x) { return gen_dot_k_min(nb, vw, x, 144, 0); }

/// Q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] }: as Q4_K with a fifth bit from qh.
GEN_INLINE float gen_dot_q5_k(int nb, const void *vw, const baton_act *x) { return gen_dot_k_min(nb, vw, x, 176, 1); }

/// Q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }: w = d·sc·(q − 32) per 16 values, q 6-bit.
GEN_INLINE float gen_dot_q6_k(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int i = 0; i < nb; i++, w += 210) {
        const uint8_t *ql = w, *qh = w + 128; const int8_t *sc = (const int8_t *)(w + 192);
        const int8_t *q8 = x->qs + 256 * i;
        int32_t isum = 0;
        for (int n = 0; n < 2; n++, ql += 64, qh += 32, q8 += 128, sc += 8) {
            int32_t s[8] = { 0 };
            for (int l = 0; l < 32; l++) {
                const int g = l / 16;
                s[0 + g] += (((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32) * q8[l];
                s[2 + g] += (((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32) * q8[l + 32];
                s[4 + g] += (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * q8[l + 64];
                s[6 + g] += (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * q8[l + 96];
            }
            for (int g = 0; g < 8; g++) isum += sc[g] * s[g];
        }
        acc += x->d[i] * gen_half(w + 208) * (float)isum;
    }
    return acc;
}

/// IQ4_XS { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128] }: w = d·(ls − 32)·kvalues[q] per 32 values.
GEN_INLINE float gen_dot_iq4_xs(int nb, const void *vw, const baton_act *x) {
    const uint8_t *w = vw; float acc = 0;
    for (int i = 0; i < nb; i++, w += 136) {
        const uint16_t sh = (uint16_t)(w[2] | (w[3] << 8));
        const uint8_t *q = w + 8; const int8_t *q8 = x->qs + 256 * i;
        int32_t isum = 0;
        for (int ib = 0; ib < 8; ib++, q += 16, q8 += 32) {
            const int ls = ((w[4 + ib / 2] >> (4 * (ib % 2))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
            int32_t s = 0;
            for (int j = 0; j < 16; j++) s += gen_iq4nl_values[q[j] & 15] * q8[j] + gen_iq4nl_values[q[j] >> 4] * q8[j + 16];
            isum += (ls - 32) * s;
        }
        acc += x->d[i] * gen_half(w) * (float)isum;
    }
    return acc;
}

/// Defines `<prefix>_<format>` for every format from the generic bodies, with function attributes `attrs`.
#define GEN_DEFINE_ALL(prefix, attrs) \
    attrs float prefix##_q4_0(int n, const void *w, const baton_act *x) { return gen_dot_q4_0(n, w, x); } \
    attrs float prefix##_q4_1(int n, const void *w, const baton_act *x) { return gen_dot_q4_1(n, w, x); } \
    attrs float prefix##_q5_0(int n, const void *w, const baton_act *x) { return gen_dot_q5_0(n, w, x); } \
    attrs float prefix##_q5_1(int n, const void *w, const baton_act *x) { return gen_dot_q5_1(n, w, x); } \
    attrs float prefix##_q8_0(int n, const void *w, const baton_act *x) { return gen_dot_q8_0(n, w, x); } \
    attrs float prefix##_iq4_nl(int n, const void *w, const baton_act *x) { return gen_dot_iq4_nl(n, w, x); } \
    attrs float prefix##_q2_k(int n, const void *w, const baton_act *x) { return gen_dot_q2_k(n, w, x); } \
    attrs float prefix##_q3_k(int n, const void *w, const baton_act *x) { return gen_dot_q3_k(n, w, x); } \
    attrs float prefix##_q4_k(int n, const void *w, const baton_act *x) { return gen_dot_q4_k(n, w, x); } \
    attrs float prefix##_q5_k(int n, const void *w, const baton_act *x) { return gen_dot_q5_k(n, w, x); } \
    attrs float prefix##_q6_k(int n, const void *w, const baton_act *x) { return gen_dot_q6_k(n, w, x); } \
    attrs float prefix##_iq4_xs(int n, const void *w, const baton_act *x) { return gen_dot_iq4_xs(n, w, x); }

#define GEN_TABLE(prefix) { \
    prefix##_q4_0, prefix##_q4_1, prefix##_q5_0, prefix##_q5_1, prefix##_q8_0, prefix##_iq4_nl, \
    prefix##_q2_k, prefix##_q3_k, prefix##_q4_k, prefix##_q5_k, prefix##_q6_k, prefix##_iq4_xs }
