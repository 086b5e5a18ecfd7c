// The innermost integer dot products of Baton's quantized mat-vec and mat-mat: one weight row (ggml block
// layout, ggml-common.h) against one quantized activation row. Everything else about a format — its block
// layout, dequantize, quantize, which activations it takes — is described once, in Swift (Kernels/Formats).
// C holds only what Swift cannot express: x86 intrinsics (vpdpbusd, pshufb, masked byte moves) behind a
// runtime CPU check, with a portable fallback compiled from the same generic source.
#ifndef BATON_KERNELS_H
#define BATON_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One activation row quantized the way ggml quantizes a mat-mul's input for the weight's `vec_dot_type`.
/// 32-value blocks (Q8_0 / Q8_1): `qs` int8, `d` the f16-rounded scale per block, `s` Q8_1's f16-rounded
/// d·Σq per block. 256-value blocks (Q8_K): `qs` int8, `d` the f32 scale per block, `bsums` Σq per 16 values.
typedef struct {
    const int8_t *qs;
    const float *d;
    const float *s;
    const int16_t *bsums;
    const int32_t *sums;  // 32-value blocks: Σq per block
} baton_act;

/// Σ over `blocks` weight blocks of w·x (ggml's vec_dot_<type>_q8_<0|1|K>): exact integer sums per block,
/// scaled in f32.
typedef float (*baton_dot_fn)(int blocks, const void *w, const baton_act *x);

/// Formats with a dot product, by index in `baton_dot_table`.
enum {
    BATON_Q4_0, BATON_Q4_1, BATON_Q5_0, BATON_Q5_1, BATON_Q8_0, BATON_IQ4_NL,
    BATON_Q2_K, BATON_Q3_K, BATON_Q4_K, BATON_Q5_K, BATON_Q6_K, BATON_IQ4_XS,
    BATON_DOT_COUNT
};

/// Instruction-set levels, best last.
enum { BATON_ISA_PORTABLE = 0, BATON_ISA_AVX2 = 1, BATON_ISA_AVX512_VNNI = 2 };

/// The best level this CPU runs (checked once, with cpuid).
int baton_isa_best(void);
/// The dot kernels of `isa` (clamped to what the CPU supports), `BATON_DOT_COUNT` entries.
const baton_dot_fn *baton_dot_table(int isa);
/// "portable", "avx2" or "avx512-vnni".
const char *baton_isa_name(int isa);

// MARK: Row-interleaved 32-value block formats ("x16")
//
// A decode mat-vec spends most of its time on per-row overhead (scales, horizontal sums) unless rows are
// interleaved: at load time every 16 rows are repacked so that one 512-bit vector holds the same 4 bytes of
// 16 rows, and a group's f16 scales for one block sit side by side. One block column of a group ("tile") is:
// each of the block's f16 fields for the 16 rows (d[16], then m[16] / dmin[16] where the format has one), then
// the block's other bytes, in order, as 4-byte words: word w holds bytes 4w…4w+3 of rows 0…15. A pure byte
// permutation: same byte count as the rows (the last group zero-padded), scales still packed as ggml packs them.

/// Formats with an x16 layout, by index.
enum { BATON_X16_Q4_0, BATON_X16_Q4_1, BATON_X16_Q8_0, BATON_X16_Q4_K, BATON_X16_Q6_K, BATON_X16_COUNT };

/// Bytes of the x16 layout for `rows` rows of `blocks` blocks (rows rounded up to 16).
long baton_x16_size(int format, int rows, int blocks);
/// Repacks `rows` rows (`row_bytes` apart) into the x16 layout at `dst`.
void baton_x16_pack(int format, const void *src, long row_bytes, int rows, int blocks, void *dst);
/// Writes row `row` of an x16 matrix back in ggml's row layout (row_bytes bytes at `dst`).
void baton_x16_unpack_row(int format, const void *packed, int rows, int blocks, int row, void *dst);
/// Whether `isa` has x16 kernels of its own for `format` (AVX-512 VNNI: all; AVX2: Q4_0, Q4_1, Q8_0, Q4_K); other
/// levels run a portable path that is slower than the row kernels, so a loader interleaves only where this holds.
int baton_x16_native(int isa, int format);
/// out[t·stride + r] = row (16·group + r) · token t, for t < ntok (≤ 4) and r < valid (≤ 16), where `group`
/// points at the group's first tile and `x` at ntok activation rows.
void baton_x16_dot(int isa, int format, int blocks, const void *group, const baton_act *x, int ntok,
                   float *out, long stride, int valid);

/// One query head's attention over `visible` cached positions of an f16 KV cache, as llama.cpp's CPU flash
/// attention computes it (ggml_compute_forward_flash_attn_ext_f16_one_chunk): the query rounded to f16, each
/// score the f32 sum of f16 products times `scale`, an online softmax, and the weighted sum of values kept in an
/// f16 accumulator. `keys`/`values` point at position 0 of the head's column, rows `stride` halves apart;
/// `scores` holds at least `visible` floats; `out` receives `dim` floats.
void baton_attend_f16(int isa, const uint16_t *keys, const uint16_t *values, long stride, int visible,
                      const float *query, int dim, float scale, float *scores, float *out);

#ifdef __cplusplus
}
#endif
#endif
