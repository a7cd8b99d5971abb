// Direct convolution for filters in multiples of 16: each output position's 16 filters are one
// vector, so a block of P positions x B vectors of filters stays in registers while the input
// channels and kernel taps stream past, one broadcast input value and B weight vectors per
// tap (the scheme of oneDNN's direct convolutions, on NCHW tensors). Nothing is unfolded: the
// kernel reads one zero-bordered copy of a sample, which stays in cache.
//
// The vector code is written once with Clang's vector extensions; on x86-64 Linux each inner
// kernel is compiled for AVX-512, for AVX2 + FMA and for the baseline, and the loader picks
// the best the CPU runs (target_clones). Elsewhere it is compiled for the build's target.
//
// The same blocks also multiply bfloat16 operands (`..._products` below): a pair of input channels
// is one 32-bit element, channels 2c and 2c + 1 in its low and high halves, and so is a pair of
// weights; a tap's product is then AVX512_BF16's VDPBF16PS, two products per lane summed into
// fp32, where the CPU has it, or an exact emulation of it elsewhere. Pairs halve the channels
// the blocks loop over and leave every other index as it is.
#include <unistd.h>
#include "CKernels.h"
#include "VectorClones.h"
#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define BUILDS_BFLOAT16_PRODUCTS 1
#else
#define BUILDS_BFLOAT16_PRODUCTS 0
#endif

typedef float vector16 __attribute__((ext_vector_type(16)));
typedef float unalignedVector16 __attribute__((ext_vector_type(16), aligned(4)));

// Products and sums fuse into FMA instructions where the instruction set has them (the AVX2
// and AVX-512 clones), and stay a multiply and an add where it does not.
#pragma clang fp contract(fast)

/// The largest blocks: positions x vectors of 16 filters held in registers (of AVX-512's 32):
/// 5 x 4, 7 x 2 or 14 x 1 (7 x 4 and 14 x 2 measured slower: they spill).
enum { MAXIMUM_POSITIONS = 14, MAXIMUM_VECTORS = 4 };

// Macros rather than functions: a function passing 16-float vectors would have a different
// ABI in each instruction set's clone.
#define load16(pointer) (*(const unalignedVector16 *)(pointer))
#define store16(pointer, value) (*(unalignedVector16 *)(pointer) = (value))

// MARK: bfloat16 pairs

typedef unsigned int bits16 __attribute__((ext_vector_type(16)));

/// How a block multiplies: fp32 operands, or bfloat16 pairs by an emulation of VDPBF16PS or by
/// the instruction itself (`nrcc_bfloat16_kernel`'s values).
enum { FP32_PRODUCTS = 0, EMULATED_PAIR_PRODUCTS = 1, HARDWARE_PAIR_PRODUCTS = 2 };

/// `x` rounded to the nearest bfloat16, ties to even, as the upper half of an fp32 (the lower
/// half zero): zeros and subnormals to a zero of their sign, infinities kept, a NaN made quiet.
/// The rounding of Swift's `bfloat16Rounded` (Kernels/BFloat16.swift), bit for bit.
/// Written without branches, so that the copies below run it on whole vectors.
static inline unsigned int bfloat16_bits(float x) {
    unsigned int bits = __builtin_bit_cast(unsigned int, x), exponent = bits & 0x7F800000u;
    unsigned int rounded = (bits + 0x7FFFu + ((bits >> 16) & 1)) & 0xFFFF0000u;
    unsigned int special = (bits & 0xFFFF0000u) | ((bits & 0x007FFFFFu) ? 0x00400000u : 0);
    return exponent == 0 ? bits & 0x80000000u : exponent == 0x7F800000u ? special : rounded;
}

/// The pair (low, high) as one 32-bit element: low's bfloat16 in bits 0-15, high's in 16-31.
static inline unsigned int bfloat16_pair(float low, float high) {
    return bfloat16_bits(low) >> 16 | bfloat16_bits(high);
}

/// Lanes of `bits` whose exponent field (under `exponent`) is zero become a zero of their sign.
#define FLUSHED(bits, exponent, sign) ((bits) & ((sign) | (~(sign) & (bits16)(((bits) & (exponent)) != 0))))

/// VDPBF16PS, exactly: in each lane, sum += a.high b.high, then sum += a.low b.low, each a
/// fused multiply-add rounded to nearest even, with subnormal inputs read as zero and
/// subnormal sums flushed to zero (Intel SDM: "FP32 FMA with daz in, ftz out and RNE rounding").
/// A product of two bfloat16 numbers is exact in fp32, so the fused and the plain sum agree
/// wherever the product is a normal number.
/// (A macro, as `load16` is.)
#define emulated_pair_products(sum, a, b) ({ \
    const bits16 sign_ = 0x80000000u, exponent_ = 0x7F800000u, a_ = (a), b_ = (b); \
    bits16 aHigh_ = FLUSHED(a_ & 0xFFFF0000u, exponent_, sign_), bHigh_ = FLUSHED(b_ & 0xFFFF0000u, exponent_, sign_); \
    bits16 aLow_ = FLUSHED(a_ << 16, exponent_, sign_), bLow_ = FLUSHED(b_ << 16, exponent_, sign_); \
    vector16 sum_ = (vector16)FLUSHED((bits16)(sum), exponent_, sign_); \
    sum_ = __builtin_elementwise_fma((vector16)aHigh_, (vector16)bHigh_, sum_); \
    sum_ = (vector16)FLUSHED((bits16)sum_, exponent_, sign_); \
    sum_ = __builtin_elementwise_fma((vector16)aLow_, (vector16)bLow_, sum_); \
    (vector16)FLUSHED((bits16)sum_, exponent_, sign_); \
})

#if BUILDS_BFLOAT16_PRODUCTS
/// The instructions of the hardware clone: AVX-512 and AVX512_BF16.
#define PAIR_PRODUCTS_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx2,fma")))
#endif

/// row[w] = the pair (low[w], high[w]) rounded, for w < width (high NULL: zero).
VECTOR_CLONES
static void round_pairs(unsigned int *row, const float *low, const float *high, long width) {
    if (high)
        for (long w = 0; w < width; w++) row[w] = bfloat16_pair(low[w], high[w]);
    else
        for (long w = 0; w < width; w++) row[w] = bfloat16_bits(low[w]) >> 16;
}

/// Copies sample `input` [C, H, W] into `padded` [ceil(C / 2), H + 2P, W + 2P] of bfloat16
/// pairs (channels 2c and 2c + 1, the last high half zero for odd C) with a zero border: the
/// operand rounded where it is copied, so that it costs no pass of its own.
__attribute__((no_builtin("memset")))
static void pad_sample_pairs(unsigned int *padded, const float *input, const nrcc_convolution_shape *s) {
    long width = s->width, padding = s->padding, paddedWidth = width + 2 * padding;
    long paddedHeight = s->height + 2 * padding, plane = s->height * width;
    for (long pair = 0; pair < (s->channels + 1) / 2; pair++) {
        unsigned int *destination = padded + pair * paddedHeight * paddedWidth;
        const float *low = input + 2 * pair * plane, *high = 2 * pair + 1 < s->channels ? low + plane : NULL;
        for (long i = 0; i < padding * paddedWidth; i++) destination[i] = 0;
        for (long h = 0; h < s->height; h++) {
            unsigned int *row = destination + (h + padding) * paddedWidth;
            for (long i = 0; i < padding; i++) row[i] = row[padding + width + i] = 0;
            round_pairs(row + padding, low + h * width, high ? high + h * width : NULL, width);
        }
        unsigned int *bottom = destination + (s->height + padding) * paddedWidth;
        for (long i = 0; i < padding * paddedWidth; i++) bottom[i] = 0;
    }
}

/// Copies sample `input` [C, H, W] into `padded` [C, H + 2P, W + 2P] with a zero border.
/// Plain loops rather than memcpy and memset, which cost more to call than to run on rows of
/// 4 to 28 floats.
__attribute__((no_builtin("memcpy"), no_builtin("memset")))
static void pad_sample(float *padded, const float *input, const nrcc_convolution_shape *s) {
    long width = s->width, padding = s->padding, paddedWidth = width + 2 * padding;
    long paddedHeight = s->height + 2 * padding;
    for (long c = 0; c < s->channels; c++) {
        float *plane = padded + c * paddedHeight * paddedWidth;
        const float *source = input + c * s->height * width;
        for (long i = 0; i < padding * paddedWidth; i++) plane[i] = 0;
        for (long h = 0; h < s->height; h++) {
            float *row = plane + (h + padding) * paddedWidth;
            for (long i = 0; i < padding; i++) row[i] = row[padding + width + i] = 0;
            for (long w = 0; w < width; w++) row[padding + w] = source[h * width + w];
        }
        float *bottom = plane + (s->height + padding) * paddedWidth;
        for (long i = 0; i < padding * paddedWidth; i++) bottom[i] = 0;
    }
}

/// Prefetches line `line` onwards, `count` lines, of the `total` 64-byte lines at `bytes`;
/// returns the next line.
static long prefetch_lines(const void *bytes, long line, long count, long total) {
    for (long end = line + count; line < end && line < total; line++)
        __builtin_prefetch((const char *)bytes + 64 * line, 0, 2);
    return line;
}

/// One step of a transpose of the first `rows` rows r[i] of 16 floats: swaps bit m of the row
/// and column indices between rows i and i + m (i without bit m), for m < rows. The four steps
/// m = 8, 4, 2, 1 on 16 rows transpose them; steps m < R on the first R rows (R = 2, 4, 8)
/// transpose each R x R block along the rows: r[i][R g + j] becomes the old r[j][R g + i].
#define TRANSPOSE_STEP(r, rows, m, low, high) \
    for (int i = 0; i < (rows); i++) { \
        if (i & (m)) continue; \
        vector16 a = r[i], b = r[i | (m)]; \
        r[i] = __builtin_shufflevector(a, b, low); \
        r[i | (m)] = __builtin_shufflevector(a, b, high); \
    }

// Lane indices of each step into the pair (a, b): for bit m, row i takes a[j] where bit m of
// j is clear and b[j - m] where it is set; row i + m takes a[j + m] and b[j].
#define SWAP8_LOW 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define SWAP8_HIGH 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define SWAP4_LOW 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define SWAP4_HIGH 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define SWAP2_LOW 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define SWAP2_HIGH 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define SWAP1_LOW 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define SWAP1_HIGH 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31

// MARK: Forward and input gradient

/// Where a block's sums start and end when the input channels are split into chunks (so
/// that a chunk's weights stay in the level-1 cache): from zero or from the partial sums of
/// the previous chunks, into the output or into the partial sums for the next chunk.
enum { CONTINUES = 1, FINISHES = 2, FIRST_BLOCK = 4 };

#define CONVOLUTION_BLOCK convolution_block
#define WEIGHT_GRADIENT_BLOCK weight_gradient_block
#define PAIR_PRODUCTS_OF emulated_pair_products
#include "ConvolutionBlocks.h"
#undef CONVOLUTION_BLOCK
#undef WEIGHT_GRADIENT_BLOCK
#undef PAIR_PRODUCTS_OF

#if BUILDS_BFLOAT16_PRODUCTS
#pragma clang attribute push(PAIR_PRODUCTS_TARGET, apply_to = function)
#define CONVOLUTION_BLOCK hardware_convolution_block
#define WEIGHT_GRADIENT_BLOCK hardware_weight_gradient_block
#define PAIR_PRODUCTS_OF(sum, a, b) ((vector16)_mm512_dpbf16_ps((__m512)(sum), (__m512bh)(a), (__m512bh)(b)))
#include "ConvolutionBlocks.h"
#undef CONVOLUTION_BLOCK
#undef WEIGHT_GRADIENT_BLOCK
#undef PAIR_PRODUCTS_OF
#pragma clang attribute pop
#endif

// `block` is the instance of `convolution_block` and `PRODUCTS` each dispatch function's constant.
#define BLOCK_CASE(block, P, B, S, Q, TH, TW) \
    case ((P) * 100000 + (B) * 10000 + (S) * 1000 + (Q) * 100 + (TH) * 10 + (TW)): \
        block(x, plane, rowLength, channels, w, filters, out, outputPlane, accumulate, \
              partial, phase, moments, momentStride, P, B, S, Q, TH, TW, PRODUCTS); \
        return;
#define BLOCK_POSITIONS(block, B, S, Q, TH, TW) \
    BLOCK_CASE(block, 1, B, S, Q, TH, TW) BLOCK_CASE(block, 2, B, S, Q, TH, TW) BLOCK_CASE(block, 3, B, S, Q, TH, TW) \
    BLOCK_CASE(block, 4, B, S, Q, TH, TW) BLOCK_CASE(block, 5, B, S, Q, TH, TW) BLOCK_CASE(block, 6, B, S, Q, TH, TW) \
    BLOCK_CASE(block, 7, B, S, Q, TH, TW) BLOCK_CASE(block, 14, B, S, Q, TH, TW)
#define BLOCK_VECTORS(block, S, Q, TH, TW) \
    BLOCK_POSITIONS(block, 1, S, Q, TH, TW) BLOCK_POSITIONS(block, 2, S, Q, TH, TW) BLOCK_POSITIONS(block, 4, S, Q, TH, TW)

/// `convolution_block` with its sizes as constants, so that the block lives in registers:
/// the forward grids 1 x 1 and 3 x 3 at strides 1 and 2 (also the input gradient of stride-1
/// convolutions), and the input gradient's grids of stride-2 convolutions (up to 2 x 2 for a
/// 3 x 3 kernel), which read at stride 1 and write every second position.
#define BLOCK_DISPATCH(name, block, products) \
    static void name(const float *x, long plane, long rowLength, long channels, const float *w, long filters, \
                     float *out, long outputPlane, long outputStep, int accumulate, float *partial, int phase, \
                     float *moments, long momentStride, \
                     int positions, int vectors, int stride, int gridHeight, int gridWidth) { \
        const int PRODUCTS = (products); \
        switch (positions * 100000 + vectors * 10000 + stride * 1000 + outputStep * 100 + gridHeight * 10 + gridWidth) { \
            BLOCK_VECTORS(block, 1, 1, 1, 1) BLOCK_VECTORS(block, 1, 1, 3, 3) \
            BLOCK_VECTORS(block, 2, 1, 1, 1) BLOCK_VECTORS(block, 2, 1, 3, 3) \
            BLOCK_VECTORS(block, 1, 2, 1, 1) BLOCK_VECTORS(block, 1, 2, 1, 2) \
            BLOCK_VECTORS(block, 1, 2, 2, 1) BLOCK_VECTORS(block, 1, 2, 2, 2) \
        } \
    }
VECTOR_CLONES BLOCK_DISPATCH(convolution_block_dispatch, convolution_block, FP32_PRODUCTS)
/// The emulated pair products, for CPUs without AVX512_BF16 (the tests' reference for the
/// hardware clone, and the kernels' layout tested on every CPU).
VECTOR_CLONES BLOCK_DISPATCH(emulated_pair_block_dispatch, convolution_block, EMULATED_PAIR_PRODUCTS)
#if BUILDS_BFLOAT16_PRODUCTS
PAIR_PRODUCTS_TARGET BLOCK_DISPATCH(hardware_pair_block_dispatch, hardware_convolution_block, HARDWARE_PAIR_PRODUCTS)
#endif

/// Whether this CPU runs the hardware clone: AVX-512 (the blocks' registers) and AVX512_BF16.
static int has_pair_products(void) {
#if BUILDS_BFLOAT16_PRODUCTS
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

int nrcc_bfloat16_kernel(void) { return has_pair_products() ? HARDWARE_PAIR_PRODUCTS : EMULATED_PAIR_PRODUCTS; }

/// Whether the kernels run with AVX-512's 32 registers of 16 floats. Elsewhere (AVX2's 16
/// registers of 8 floats, NEON's 32 of 4) a 16-float sum takes two or four registers, and
/// blocks must be smaller.
static int has_wide_registers(void) {
#if BUILDS_CLONES
    // The loader's choice of clone: x86-64-v4 needs these. Each check reads a flag the
    // loader has already set, so nothing is cached here (workers call this concurrently).
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#elif defined(__AVX512F__)
    return 1;
#else
    return 0;
#endif
}

/// Vectors of 16 filters per block: 4, 2 or 1, whichever divides the filters, keeping the
/// block within about 24 registers: 4 only on rows of at most 5 positions (7 x 4 sums leave
/// too few registers for the weights and the broadcast value, and spill: 30% slower). Without
/// AVX-512, one vector.
static int vectors_per_block(long filters, long columns) {
    long vectors = filters / 16;
    if (!has_wide_registers()) return 1;
    return vectors % 4 == 0 && columns <= 5 ? 4 : vectors % 2 == 0 ? 2 : 1;
}

/// The widest block of positions: 14 with one vector of filters and 7 with more on AVX-512,
/// 5 elsewhere (5 sums of two AVX2 registers each, two weight registers and the broadcasts:
/// with 6 the compiler keeps broadcast values for the next tap and spills a sum, which
/// measured 15-25% slower on the AMD EPYC).
static long widest_block(int vectors) {
    return !has_wide_registers() ? 5 : vectors == 1 ? 14 : 7;
}

/// A grid of kernel taps: TH x TW taps whose input positions are consecutive rows and columns.
typedef struct { long height, width; } tap_grid;

/// The bytes of weights a chunk of input channels may hold: half the level-1 data cache, the
/// other half left to the inputs and partial sums (16 KB of the AMD EPYC's 32 KB measured best
/// there; 24 KB of an Intel Xeon's 48 KB runs the 4x4 and 7x7 layers 3-6% faster than 16 KB);
/// 16 KB where the system does not say. Asked once: workers that race to fill it store the
/// same value.
static long chunk_bytes(void) {
    static long bytes = 0;
    long known = __atomic_load_n(&bytes, __ATOMIC_RELAXED);
    if (known > 0) return known;
    known = 16384;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    long size = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    if (size >= 32768 && size <= (1 << 20)) known = size / 2;
#endif
    __atomic_store_n(&bytes, known, __ATOMIC_RELAXED);
    return known;
}

/// Input channels per chunk: as many as keep the chunk's weights, taps x 16 B filters each,
/// within `chunk_bytes` (all of them when the weights fit).
static long channels_per_chunk(long taps, int vectors, long channels) {
    long fitting = chunk_bytes() / (taps * vectors * 16 * (long)sizeof(float));
    return fitting < 1 ? 1 : fitting >= channels ? channels : fitting;
}

/// Samples padded and convolved together, each chunk of weights serving all of them before
/// the next chunk comes: as many as keep their padded copies within 96 KB, at most 8. On
/// small planes one sample's products are too few to pay for bringing a layer's weights into
/// the cache (128 filters x 128 channels x 9 taps: 590 KB for 16 positions of 4 x 4).
static long samples_per_group(long paddedFloats) {
    long fitting = 24576 / paddedFloats;
    return fitting < 1 ? 1 : fitting > 8 ? 8 : fitting;
}

typedef void (*block_dispatch)(const float *, long, long, long, const float *, long, float *, long, long, int,
                               float *, int, float *, long, int, int, int, int, int);

/// The blocks that multiply as `products` says; the hardware's only where the CPU runs them.
static block_dispatch block_dispatch_for(int products) {
#if BUILDS_BFLOAT16_PRODUCTS
    if (products == HARDWARE_PAIR_PRODUCTS && has_pair_products()) return hardware_pair_block_dispatch;
#endif
    return products == FP32_PRODUCTS ? convolution_block_dispatch : emulated_pair_block_dispatch;
}

/// Output rows `rows` x `columns` positions of `samples` samples, every vector of filters, in
/// blocks of `vectors` vectors of 16 filters:
/// out[n, f, r, j] (+)= sum over c, taps (i, k) of x[n, c, (r S + i) rowLength + j S + k] * w[c, i TW + k, f],
/// w packed by `PACK_FILTER_BLOCKS` for `vectors`,
/// with samples `sampleStride` floats apart in x and `outputSampleStride` in out, output rows
/// `outputRowStep` and positions `outputStep` floats apart. `partial` holds samples x rows x
/// columns x 64 floats of partial sums. With `moments` [samples, 3, filters] (else NULL), each
/// sample's shifts and sums as `convolution_block` takes them. `products`: how the blocks
/// multiply (x and w hold bfloat16 pairs and `channels` counts pairs unless `FP32_PRODUCTS`).
static void convolve_rows(const float *x, long plane, long rowLength, long samples, long sampleStride,
                          tap_grid grid, long channels, const float *w, long filters, int vectors, float *out,
                          long outputPlane, long outputSampleStride, long rows, long columns, long outputRowStep,
                          long outputStep, int accumulate, int stride, float *partial, const float *next,
                          long nextLines, float *moments, int products) {
    block_dispatch dispatch = block_dispatch_for(products);
    long taps = grid.height * grid.width, chunk = channels_per_chunk(taps, vectors, channels);
    long chunks = (channels + chunk - 1) / chunk;
    // While these samples compute, the next ones' input comes into cache, a share of its
    // 64-byte lines per output row, so that padding it does not wait on memory.
    long blockRows = filters / (16 * vectors) * chunks * samples * rows;
    long linesPerRow = (nextLines + blockRows - 1) / blockRows, line = 0;
    for (long f = 0; f < filters; f += 16 * vectors) {
        for (long first = 0; first < channels; first += chunk) {
            long count = channels - first < chunk ? channels - first : chunk;
            int phase = (first > 0 ? CONTINUES : 0) | (first + count == channels ? FINISHES : 0);
            for (long n = 0; n < samples; n++) {
                for (long r = 0; r < rows; r++) {
                    line = prefetch_lines(next, line, linesPerRow, nextLines);
                    long widest = widest_block(vectors), blocks = (columns + widest - 1) / widest;
                    for (long j = 0, positions, block = 0; j < columns; j += positions, block++) {
                        // Up to 7 positions every size is compiled: blocks as even as the row allows,
                        // so that none is left with one or two positions (7 = 4 + 3, not 5 + 2).
                        // Wider, the widest blocks while they fit, then one of at most 7.
                        long left = columns - j;
                        positions = widest <= 7 ? columns / blocks + (block < columns % blocks)
                            : left >= widest ? widest : left < 7 ? left : 7;
                        const float *input = x + n * sampleStride + first * plane + r * stride * rowLength + j * stride;
                        float *output = out + n * outputSampleStride + f * outputPlane + r * outputRowStep + j * outputStep;
                        dispatch(input, plane, rowLength, count,
                                                   w + f * channels * taps + first * taps * 16 * vectors, 16 * vectors,
                                                   output, outputPlane, outputStep, accumulate,
                                                   partial + ((n * rows + r) * columns + j) * vectors * 16,
                                                   phase | (r == 0 && j == 0 ? FIRST_BLOCK : 0),
                                                   moments ? moments + 3 * n * filters + f : NULL, filters,
                                                   (int)positions, vectors, stride, (int)grid.height, (int)grid.width);
                    }
                }
            }
        }
    }
}

int nrcc_direct_convolution_supports(nrcc_convolution_shape s) {
    return s.filters > 0 && s.filters % 16 == 0 && (s.kernel == 1 || s.kernel == 3)
        && (s.stride == 1 || s.stride == 2) && s.padding >= 0 && s.padding < s.kernel && s.channels > 0;
}

int nrcc_direct_input_gradient_supports(nrcc_convolution_shape s) {
    return nrcc_direct_convolution_supports(s) && s.channels % 16 == 0;
}

/// The zero border of the output gradient that the input gradient reads through: the
/// furthest any tap reaches outside it, above or below (the same for columns when square).
static long gradient_border(const nrcc_convolution_shape *s) {
    long border = 0, S = s->stride;
    for (int axis = 0; axis < 2; axis++) {
        long size = axis == 0 ? s->height : s->width, outputSize = axis == 0 ? s->outputHeight : s->outputWidth;
        for (long r = 0; r < S; r++) {
            long rows = (size - r + S - 1) / S;
            for (long k = 0; k < s->kernel; k++) {
                if ((r + s->padding - k) % S != 0 || rows <= 0) continue;
                long offset = (r + s->padding - k) / S, below = rows - 1 + offset - (outputSize - 1);
                if (-offset > border) border = -offset;
                if (below > border) border = below;
            }
        }
    }
    return border;
}

long nrcc_direct_convolution_scratch(nrcc_convolution_shape s, long count) {
    long padded = s.channels * (s.height + 2 * s.padding) * (s.width + 2 * s.padding);
    long transposed = s.outputHeight * s.outputWidth * s.filters;
    long border = gradient_border(&s);
    long paddedGradient = s.filters * (s.outputHeight + 2 * border) * (s.outputWidth + 2 * border);
    long partials = 64 * (s.height * s.width > s.outputHeight * s.outputWidth ? s.height * s.width
                                                                             : s.outputHeight * s.outputWidth);
    long forForward = samples_per_group(padded) * (padded + partials);
    long forBackward = samples_per_group(paddedGradient) * (paddedGradient + partials);
    long forWeights = count * (padded + transposed);
    long most = forForward > forBackward ? forForward : forBackward;
    return forWeights > most ? forWeights : most;
}

/// Each block of 16 B filters' weights [C, taps, 16 B] contiguous, block after block: a
/// block's taps then lie 64 B apart, not F floats apart (512 B for 128 filters, which put a
/// chunk's weights in an eighth of the level-1 cache's sets and evicted them within the chunk).
/// `weight(f, c, t)` reads the weight of filter f, channel c and tap t of `taps`. Written in
/// the packed order, filters innermost, so that no index is divided per weight (the 128 x 128
/// layer's packing took 0.43-0.68 ms on one core, a sixth of its forward pass).
#define PACK_FILTER_BLOCKS(packed, filters, channels, taps, vectors, weight) \
    for (long block = 0; block < (filters); block += 16 * (vectors)) \
        for (long c = 0; c < (channels); c++) \
            for (long t = 0; t < (taps); t++) \
                for (long f = block, end = block + 16 * (vectors); f < end; f++) \
                    (packed)[block * (channels) * (taps) + (c * (taps) + t) * 16 * (vectors) + f - block] = (weight)

/// Vectors of 16 filters per block of the forward pass.
static int forward_vectors(const nrcc_convolution_shape *s) { return vectors_per_block(s->filters, s->outputWidth); }

/// Vectors of 16 filters (the forward pass's input channels) per block of the input gradient:
/// the same for every remainder class, sized by the widest.
static int input_gradient_vectors(const nrcc_convolution_shape *s) {
    return vectors_per_block(s->channels, (s->width + s->stride - 1) / s->stride);
}

/// `PACK_FILTER_BLOCKS` for bfloat16 pairs of channels: `weight(f, c, t)` read for c = 2 pair
/// (the low half) and 2 pair + 1 (the high half, zero past the last channel), rounded.
#define PACK_PAIR_BLOCKS(packed, filters, channels, taps, vectors, weight) \
    for (long block = 0, pairCount = ((channels) + 1) / 2; block < (filters); block += 16 * (vectors)) \
        for (long pair = 0; pair < pairCount; pair++) \
            for (long t = 0; t < (taps); t++) \
                for (long f = block, end = block + 16 * (vectors); f < end; f++) { \
                    long c = 2 * pair; \
                    float low = (weight); \
                    c++; \
                    float high = c < (channels) ? (weight) : 0; \
                    (packed)[block * pairCount * (taps) + (pair * (taps) + t) * 16 * (vectors) + f - block] = \
                        bfloat16_pair(low, high); \
                }

void nrcc_direct_convolution_weights(const float *weights, float *packed, nrcc_convolution_shape s) {
    long taps = s.kernel * s.kernel;
    PACK_FILTER_BLOCKS(packed, s.filters, s.channels, taps, forward_vectors(&s), weights[(f * s.channels + c) * taps + t]);
}

void nrcc_direct_convolution_weight_pairs(const float *weights, void *pairs, nrcc_convolution_shape s) {
    long taps = s.kernel * s.kernel;
    unsigned int *packed = pairs;
    PACK_PAIR_BLOCKS(packed, s.filters, s.channels, taps, forward_vectors(&s), weights[(f * s.channels + c) * taps + t])
}

/// The forward pass with `products`: fp32 weights packed by `nrcc_direct_convolution_weights`,
/// or bfloat16 pairs by `nrcc_direct_convolution_weight_pairs`, the input then rounded as it is
/// padded. Samples go in groups sized by the fp32 copy, so that either fits the same scratch.
static void direct_convolution(const float *input, const void *weights, float *output, long count,
                               nrcc_convolution_shape s, float *scratch, float *moments, int products) {
    long paddedWidth = s.width + 2 * s.padding, plane = (s.height + 2 * s.padding) * paddedWidth;
    long outputPlane = s.outputHeight * s.outputWidth, sampleSize = s.channels * s.height * s.width;
    tap_grid grid = {s.kernel, s.kernel};
    long channels = products == FP32_PRODUCTS ? s.channels : (s.channels + 1) / 2;
    long paddedSize = channels * plane, group = samples_per_group(s.channels * plane);
    for (long n = 0; n < count; n += group) {
        long size = count - n < group ? count - n : group, next = n + size;
        for (long i = 0; i < size; i++) {
            if (products == FP32_PRODUCTS) pad_sample(scratch + i * paddedSize, input + (n + i) * sampleSize, &s);
            else pad_sample_pairs((unsigned int *)scratch + i * paddedSize, input + (n + i) * sampleSize, &s);
        }
        long nextSize = count - next < group ? count - next : group;
        long nextLines = (nextSize * sampleSize * (long)sizeof(float) + 63) / 64;
        convolve_rows(scratch, plane, paddedWidth, size, paddedSize, grid, channels, weights, s.filters,
                      forward_vectors(&s), output + n * s.filters * outputPlane, outputPlane, s.filters * outputPlane,
                      s.outputHeight, s.outputWidth, s.outputWidth, 1, 0, (int)s.stride, scratch + group * paddedSize,
                      input + next * sampleSize, nextLines, moments ? moments + 3 * n * s.filters : NULL, products);
    }
}

void nrcc_direct_convolution(const float *input, const float *weights, float *output,
                             long count, nrcc_convolution_shape s, float *scratch, float *moments) {
    direct_convolution(input, weights, output, count, s, scratch, moments, FP32_PRODUCTS);
}

void nrcc_direct_convolution_products(const float *input, const void *weights, float *output, long count,
                                      nrcc_convolution_shape s, float *scratch, float *moments, int products) {
    direct_convolution(input, weights, output, count, s, scratch, moments, products);
}

/// The taps of one remainder class of the input gradient (below): kernel rows kh = rh + P
/// - S dh for the output-gradient row offsets dh in `first.height` ... + grid.height - 1
/// (likewise columns), a grid of consecutive offsets.
typedef struct { long firstRow, firstColumn; tap_grid grid; } remainder_class;

static remainder_class class_taps(long rh, long rw, const nrcc_convolution_shape *s) {
    remainder_class taps = {0, 0, {0, 0}};
    long S = s->stride;
    for (int axis = 0; axis < 2; axis++) {
        long r = axis == 0 ? rh : rw, first = 0, count = 0;
        for (long k = s->kernel - 1; k >= 0; k--) {
            if ((r + s->padding - k) % S != 0) continue;
            if (count++ == 0) first = (r + s->padding - k) / S;
        }
        if (axis == 0) { taps.firstRow = first; taps.grid.height = count; }
        else { taps.firstColumn = first; taps.grid.width = count; }
    }
    return taps;
}

/// The input gradient, dx[c, ih, iw] = sum over f, kh, kw of dy[f, oh, ow] w[f, c, kh, kw]
/// with ih = oh S + kh - P (likewise iw), splits by the remainders (rh, rw) of (ih, iw) mod S:
/// each class reads only the taps with kh = rh + P (mod S), at consecutive output-gradient
/// offsets dh = (rh + P - kh) / S, and is a stride-1 convolution of the output gradient whose
/// results land every S-th position of dx. For S = 1 it is the convolution with the flipped
/// kernel. The weights go into `regrouped` (fp32) or `pairs` (bfloat16 pairs of the output
/// gradient's channels, the forward pass's filters), whichever is given.
static void regroup_input_gradient_weights(const float *weights, float *regrouped, unsigned int *pairs,
                                           nrcc_convolution_shape s) {
    long K = s.kernel, S = s.stride;
    int vectors = input_gradient_vectors(&s);
    for (long class = 0; class < S * S; class++) {
        remainder_class taps = class_taps(class / S, class % S, &s);
        long gridSize = taps.grid.height * taps.grid.width, gridWidth = taps.grid.width;
        long rh = class / S + s.padding - S * taps.firstRow, rw = class % S + s.padding - S * taps.firstColumn;
        // The class's convolution: output channel c (the forward pass's input channel), input
        // channel f, tap t at kernel row rh - S (t / width) and column rw - S (t % width).
        if (pairs) {
            PACK_PAIR_BLOCKS(pairs, s.channels, s.filters, gridSize, vectors,
                             weights[((c * s.channels + f) * K + rh - S * (t / gridWidth)) * K + rw - S * (t % gridWidth)])
            pairs += s.filters / 2 * gridSize * s.channels;
        } else {
            PACK_FILTER_BLOCKS(regrouped, s.channels, s.filters, gridSize, vectors,
                               weights[((c * s.channels + f) * K + rh - S * (t / gridWidth)) * K + rw - S * (t % gridWidth)]);
            regrouped += s.filters * gridSize * s.channels;
        }
    }
}

void nrcc_direct_input_gradient_weights(const float *weights, float *regrouped, nrcc_convolution_shape s) {
    regroup_input_gradient_weights(weights, regrouped, NULL, s);
}

void nrcc_direct_input_gradient_weight_pairs(const float *weights, void *pairs, nrcc_convolution_shape s) {
    regroup_input_gradient_weights(weights, NULL, pairs, s);
}

/// The input gradient with `products`: weights regrouped as fp32 or as bfloat16 pairs (the
/// output gradient then rounded as it is padded).
static void direct_input_gradient(const float *outputGradient, const void *regrouped, float *inputGradient,
                                  long count, nrcc_convolution_shape s, int accumulate, float *scratch,
                                  int products) {
    long border = gradient_border(&s), S = s.stride;
    long paddedWidth = s.outputWidth + 2 * border, plane = (s.outputHeight + 2 * border) * paddedWidth;
    long inputPlane = s.height * s.width, gradientSize = s.filters * s.outputHeight * s.outputWidth;
    // The output gradient's sample seen as a convolution input: F channels, zero border `border`.
    nrcc_convolution_shape gradientShape = s;
    gradientShape.channels = s.filters;
    gradientShape.height = s.outputHeight;
    gradientShape.width = s.outputWidth;
    gradientShape.padding = border;
    long channels = products == FP32_PRODUCTS ? s.filters : s.filters / 2;
    long paddedSize = plane * channels, group = samples_per_group(plane * s.filters);
    int vectors = input_gradient_vectors(&s);
    float *padded = scratch, *partial = scratch + group * paddedSize;
    // Each class's taps, and where its weights [F, TH TW, C] start (4-byte elements either way).
    remainder_class classes[4];
    const float *classWeights[4];
    for (long class = 0, used = 0; class < S * S; class++) {
        classes[class] = class_taps(class / S, class % S, &s);
        classWeights[class] = (const float *)regrouped + used;
        used += channels * classes[class].grid.height * classes[class].grid.width * s.channels;
    }
    for (long n = 0; n < count; n += group) {
        long size = count - n < group ? count - n : group, next = n + size;
        for (long i = 0; i < size; i++) {
            const float *sample = outputGradient + (n + i) * gradientSize;
            if (products == FP32_PRODUCTS) pad_sample(padded + i * paddedSize, sample, &gradientShape);
            else pad_sample_pairs((unsigned int *)padded + i * paddedSize, sample, &gradientShape);
        }
        float *dx = inputGradient + n * s.channels * inputPlane;
        long nextSize = count - next < group ? count - next : group;
        long nextLines = (nextSize * gradientSize * (long)sizeof(float) + 63) / 64;
        for (long class = 0; class < S * S; class++) {
            long rh = class / S, rw = class % S;
            long rows = (s.height - rh + S - 1) / S, columns = (s.width - rw + S - 1) / S;
            remainder_class taps = classes[class];
            if (rows <= 0 || columns <= 0) continue;
            if (taps.grid.height == 0 || taps.grid.width == 0) {
                // No tap reaches these positions (a 1x1 kernel with stride 2): their gradient is 0.
                if (!accumulate)
                    for (long c = 0; c < size * s.channels; c++)
                        for (long r = 0; r < rows; r++)
                            for (long j = 0; j < columns; j++) dx[c * inputPlane + (r * S + rh) * s.width + j * S + rw] = 0;
                continue;
            }
            convolve_rows(padded + (border + taps.firstRow) * paddedWidth + border + taps.firstColumn, plane,
                          paddedWidth, size, paddedSize, taps.grid, channels, classWeights[class], s.channels,
                          vectors, dx + rh * s.width + rw, inputPlane, s.channels * inputPlane,
                          rows, columns, S * s.width, S, accumulate, 1, partial, outputGradient + next * gradientSize,
                          class == 0 ? nextLines : 0, NULL, products);
        }
    }
}

void nrcc_direct_convolution_input_gradient(const float *outputGradient, const float *regrouped,
                                            float *inputGradient, long count, nrcc_convolution_shape s,
                                            int accumulate, float *scratch) {
    direct_input_gradient(outputGradient, regrouped, inputGradient, count, s, accumulate, scratch, FP32_PRODUCTS);
}

void nrcc_direct_convolution_input_gradient_products(const float *outputGradient, const void *weights,
                                                     float *inputGradient, long count, nrcc_convolution_shape s,
                                                     int accumulate, float *scratch, int products) {
    direct_input_gradient(outputGradient, weights, inputGradient, count, s, accumulate, scratch, products);
}

#if BUILDS_BFLOAT16_PRODUCTS
/// One vector of VDPBF16PS, through memory (a 16-float argument would take the clone's ABI).
PAIR_PRODUCTS_TARGET
static void hardware_pair_products(float *sums, const unsigned int *a, const unsigned int *b) {
    bits16 as, bs;
    __builtin_memcpy(&as, a, sizeof as);
    __builtin_memcpy(&bs, b, sizeof bs);
    store16(sums, (vector16)_mm512_dpbf16_ps((__m512)load16(sums), (__m512bh)as, (__m512bh)bs));
}
#endif

void nrcc_bfloat16_pair_products(float *sums, const unsigned int *a, const unsigned int *b, int kernel) {
#if BUILDS_BFLOAT16_PRODUCTS
    if (kernel == HARDWARE_PAIR_PRODUCTS && has_pair_products()) {
        hardware_pair_products(sums, a, b);
        return;
    }
#endif
    bits16 as, bs;
    __builtin_memcpy(&as, a, sizeof as);
    __builtin_memcpy(&bs, b, sizeof bs);
    store16(sums, emulated_pair_products(load16(sums), as, bs));
}

// MARK: Weight gradient

/// Channels per block of a 1 x 1 kernel's weight gradient.
enum { CHANNELS_PER_BLOCK = 6 };

// `block` is the instance of `weight_gradient_block` and `PRODUCTS` each dispatch's constant.
#define GRADIENT_CASE(block, B, S, K, R, CH) \
    case ((CH) * 10000 + (B) * 1000 + (S) * 100 + (K) * 10 + (R)): \
        block(x, sampleStride, paddedWidth, rowStride, channelStride, dy, filters, count, \
              outputHeight, outputWidth, dw, dwChannelStride, kh0, B, S, K, R, CH, PRODUCTS); \
        return;
#define GRADIENT_KERNELS(block, B, S) \
    GRADIENT_CASE(block, B, S, 1, 1, 1) GRADIENT_CASE(block, B, S, 1, 2, 1) GRADIENT_CASE(block, B, S, 1, 3, 1) \
    GRADIENT_CASE(block, B, S, 1, 4, 1) GRADIENT_CASE(block, B, S, 1, 5, 1) GRADIENT_CASE(block, B, S, 1, 6, 1) \
    GRADIENT_CASE(block, B, S, 3, 3, 1) GRADIENT_CASE(block, B, S, 3, 2, 1) GRADIENT_CASE(block, B, S, 3, 1, 1)

/// `weight_gradient_block` with its sizes as constants: all K rows of taps at once with
/// AVX-512 (up to 18 sums in registers); elsewhere (AVX2 would spill 18) two rows of a 3 x 3
/// kernel, then the third: 12 sums hide the products' latency where one row's 6 did not
/// (the AVX2 weight gradients 1.2-1.5x faster on the AMD EPYC). With AVX-512 and one vector of
/// filters, a 3 x 3 kernel's block holds two channels: 18 sums for each output gradient
/// loaded instead of 9 (the 16-filter layers' weight gradients 1.15x faster on an Intel Xeon).
#define GRADIENT_DISPATCH(name, block, products) \
    static void name(const float *x, long sampleStride, long paddedWidth, long rowStride, long channelStride, \
                     const float *dy, long filters, long count, long outputHeight, long outputWidth, float *dw, \
                     long dwChannelStride, long kh0, int vectors, int stride, int kernel, int rows, int channels) { \
        const int PRODUCTS = (products); \
        switch (channels * 10000 + vectors * 1000 + stride * 100 + kernel * 10 + rows) { \
            GRADIENT_KERNELS(block, 1, 1) GRADIENT_KERNELS(block, 1, 2) \
            GRADIENT_KERNELS(block, 2, 1) GRADIENT_KERNELS(block, 2, 2) \
            GRADIENT_CASE(block, 1, 1, 3, 3, 2) GRADIENT_CASE(block, 1, 2, 3, 3, 2) \
        } \
    }
VECTOR_CLONES GRADIENT_DISPATCH(weight_gradient_dispatch, weight_gradient_block, FP32_PRODUCTS)
VECTOR_CLONES GRADIENT_DISPATCH(emulated_pair_gradient_dispatch, weight_gradient_block, EMULATED_PAIR_PRODUCTS)
#if BUILDS_BFLOAT16_PRODUCTS
PAIR_PRODUCTS_TARGET GRADIENT_DISPATCH(hardware_pair_gradient_dispatch, hardware_weight_gradient_block,
                                       HARDWARE_PAIR_PRODUCTS)
#endif

typedef void (*gradient_dispatch)(const float *, long, long, long, long, const float *, long, long, long, long,
                                  float *, long, long, int, int, int, int, int);

/// The weight gradient's blocks that multiply as `products` says.
static gradient_dispatch gradient_dispatch_for(int products) {
#if BUILDS_BFLOAT16_PRODUCTS
    if (products == HARDWARE_PAIR_PRODUCTS && has_pair_products()) return hardware_pair_gradient_dispatch;
#endif
    return products == FP32_PRODUCTS ? weight_gradient_dispatch : emulated_pair_gradient_dispatch;
}

/// t [P, F] = dy [F, P] for F a multiple of 16: blocks of 16 x 16 transposed in registers,
/// the last P mod 16 positions one by one.
VECTOR_CLONES
static void transpose_to_filters_last(float *t, const float *dy, long filters, long positions) {
    long p = 0;
    for (; p + 16 <= positions; p += 16) {
        for (long f = 0; f < filters; f += 16) {
            vector16 r[16];
            for (int i = 0; i < 16; i++) r[i] = load16(dy + (f + i) * positions + p);
            TRANSPOSE_STEP(r, 16, 8, SWAP8_LOW, SWAP8_HIGH)
            TRANSPOSE_STEP(r, 16, 4, SWAP4_LOW, SWAP4_HIGH)
            TRANSPOSE_STEP(r, 16, 2, SWAP2_LOW, SWAP2_HIGH)
            TRANSPOSE_STEP(r, 16, 1, SWAP1_LOW, SWAP1_HIGH)
            for (int i = 0; i < 16; i++) store16(t + (p + i) * filters + f, r[i]);
        }
    }
    for (; p < positions; p++)
        for (long f = 0; f < filters; f++) t[p * filters + f] = dy[f * positions + p];
}

/// Sample `input` [C, H, W] as pairs of positions S apart, for the weight gradient on pairs:
/// `pairs` [C, H + 2P, W + 2P], element j of a row the pair (x[j], x[j + S]) of the
/// zero-bordered row x, rounded (beyond the border: 0). A tap's pair for output columns 2q
/// and 2q + 1 is then element 2q S + kw.
VECTOR_CLONES
static void pad_position_pairs(unsigned int *pairs, const float *input, const nrcc_convolution_shape *s) {
    long width = s->width, padding = s->padding, paddedWidth = width + 2 * padding;
    long paddedHeight = s->height + 2 * padding, S = s->stride;
    float line[paddedWidth + S];
    for (long i = 0; i < paddedWidth + S; i++) line[i] = 0;
    for (long c = 0; c < s->channels; c++) {
        unsigned int *plane = pairs + c * paddedHeight * paddedWidth;
        for (long r = 0; r < paddedHeight; r++) {
            long h = r - padding;
            unsigned int *row = plane + r * paddedWidth;
            if (h < 0 || h >= s->height) {
                for (long j = 0; j < paddedWidth; j++) row[j] = 0;
                continue;
            }
            const float *source = input + (c * s->height + h) * width;
            for (long w = 0; w < width; w++) line[padding + w] = source[w];
            for (long j = 0; j < paddedWidth; j++) row[j] = bfloat16_pair(line[j], line[j + S]);
        }
    }
}

/// The output gradient dy [F, OH, OW] as pairs of columns, for the weight gradient on pairs:
/// `t` [OH, Q, F], Q = ceil(OW / 2), element (oh, q, f) the pair (dy[f, oh, 2q], dy[f, oh, 2q +
/// 1]) rounded (an odd row's last pair with a zero high half). Transposed to [OH OW, F] first,
/// in place: pair row oh Q + q reads rows oh OW + 2q and the next, which no earlier pair row
/// has overwritten, and element f of its own row only after reading it (so the loop over
/// filters may run on vectors).
VECTOR_CLONES
static void transpose_to_position_pairs(unsigned int *t, const float *dy, long filters, long outputHeight,
                                        long outputWidth) {
    float *rows = (float *)t;
    transpose_to_filters_last(rows, dy, filters, outputHeight * outputWidth);
    long pairs = (outputWidth + 1) / 2;
    for (long oh = 0; oh < outputHeight; oh++)
        for (long q = 0; q < pairs; q++) {
            const float *low = rows + (oh * outputWidth + 2 * q) * filters, *high = low + filters;
            unsigned int *destination = t + (oh * pairs + q) * filters;
            if (2 * q + 1 < outputWidth) {
                _Pragma("clang loop vectorize(assume_safety)")
                for (long f = 0; f < filters; f++) destination[f] = bfloat16_pair(low[f], high[f]);
            } else {
                _Pragma("clang loop vectorize(assume_safety)")
                for (long f = 0; f < filters; f++) destination[f] = bfloat16_bits(low[f]) >> 16;
            }
        }
}

void nrcc_direct_convolution_weight_gradient(const float *input, const float *outputGradient,
                                             float *weightGradient, long count, long chunk,
                                             nrcc_convolution_shape s, float *scratch) {
    nrcc_direct_convolution_weight_gradient_products(input, outputGradient, weightGradient, count, chunk, s, scratch,
                                                     FP32_PRODUCTS);
}

void nrcc_direct_convolution_weight_gradient_products(const float *input, const float *outputGradient,
                                                      float *weightGradient, long count, long chunk,
                                                      nrcc_convolution_shape s, float *scratch, int products) {
    gradient_dispatch dispatch = gradient_dispatch_for(products);
    int pairs = products != FP32_PRODUCTS;
    long paddedWidth = s.width + 2 * s.padding, plane = (s.height + 2 * s.padding) * paddedWidth;
    long outputPlane = s.outputHeight * s.outputWidth, taps = s.kernel * s.kernel;
    // The blocks' output columns: pairs of them with bfloat16 pairs.
    long columns = pairs ? (s.outputWidth + 1) / 2 : s.outputWidth;
    long sampleSize = s.channels * s.height * s.width, gradientSize = s.filters * outputPlane;
    float *padded = scratch, *transposed = scratch + chunk * s.channels * plane;
    int vectors = (s.filters / 16) % 2 == 0 && has_wide_registers() ? 2 : 1;
    int rows = has_wide_registers() ? (int)s.kernel : s.kernel == 3 ? 2 : 1;
    for (long first = 0; first < count; first += chunk) {
        long size = count - first < chunk ? count - first : chunk;
        for (long n = 0; n < size; n++) {
            const float *sample = input + (first + n) * sampleSize, *gradient = outputGradient + (first + n) * gradientSize;
            if (pairs) {
                pad_position_pairs((unsigned int *)padded + n * s.channels * plane, sample, &s);
                transpose_to_position_pairs((unsigned int *)transposed + n * s.outputHeight * columns * s.filters,
                                            gradient, s.filters, s.outputHeight, s.outputWidth);
            } else {
                pad_sample(padded + n * s.channels * plane, sample, &s);
                transpose_to_filters_last(transposed + n * outputPlane * s.filters, gradient, s.filters, outputPlane);
            }
        }
        // While this chunk computes, the next one's input and output gradient come into
        // cache, a share of their lines per input channel.
        long next = first + size, nextSize = count - next < chunk ? count - next : chunk;
        const float *nextInput = input + next * sampleSize, *nextGradient = outputGradient + next * gradientSize;
        long inputLines = (nextSize * sampleSize * (long)sizeof(float) + 63) / 64;
        long gradientLines = (nextSize * gradientSize * (long)sizeof(float) + 63) / 64;
        long inputLine = 0, gradientLine = 0;
        // Channels per block of a 3 x 3 kernel: two where 18 sums fit (AVX-512, one vector).
        long pair = s.kernel == 3 && vectors == 1 && rows == 3 ? 2 : 1;
        long step = s.kernel == 1 ? CHANNELS_PER_BLOCK : pair, steps = (s.channels + step - 1) / step;
        for (long c = 0; c < s.channels; c += step) {
            inputLine = prefetch_lines(nextInput, inputLine, (inputLines + steps - 1) / steps, inputLines);
            gradientLine = prefetch_lines(nextGradient, gradientLine, (gradientLines + steps - 1) / steps, gradientLines);
            for (long f = 0; f < s.filters; f += 16 * vectors) {
                if (s.kernel == 1) {
                    // One tap per channel: up to 6 channels make a block, as if they were rows
                    // of taps a plane apart, so that it holds 12 sums instead of 2.
                    long block = s.channels - c < CHANNELS_PER_BLOCK ? s.channels - c : CHANNELS_PER_BLOCK;
                    dispatch(padded + c * plane, s.channels * plane, paddedWidth, plane, 0,
                             transposed + f, s.filters, size, s.outputHeight, columns,
                             weightGradient + c * s.filters + f, 0, 0, vectors, (int)s.stride, 1, (int)block, 1);
                    continue;
                }
                long channels = s.channels - c < pair ? s.channels - c : pair;
                for (long kh0 = 0, block; kh0 < s.kernel; kh0 += block) {
                    block = s.kernel - kh0 < rows ? s.kernel - kh0 : rows;
                    dispatch(padded + c * plane, s.channels * plane, paddedWidth, paddedWidth, plane,
                             transposed + f, s.filters, size, s.outputHeight, columns,
                             weightGradient + c * taps * s.filters + f, taps * s.filters, kh0,
                             vectors, (int)s.stride, (int)s.kernel, (int)block, (int)channels);
                }
            }
        }
    }
}
