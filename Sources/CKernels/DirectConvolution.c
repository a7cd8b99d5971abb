// Direct convolution for filters in multiples of 16: each output position's 16 filters are one
// vector, so a block of P positions x B vectors of filters stays in registers while the input
// channels and kernel taps stream past, one broadcast input value and B weight vectors per
// tap (the scheme of oneDNN's direct convolutions, on NCHW tensors). Nothing is unfolded: the
// kernel reads one zero-bordered copy of a sample, which stays in cache.
//
// The vector code is written once with Clang's vector extensions; on x86-64 Linux each entry
// point is compiled for AVX-512, for AVX2 + FMA and for the baseline, and the loader picks
// the best the CPU runs (target_clones). Elsewhere it is compiled for the build's target.
#include "CKernels.h"

typedef float vector16 __attribute__((ext_vector_type(16)));
typedef float unalignedVector16 __attribute__((ext_vector_type(16), aligned(4)));

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

#define INLINE static inline __attribute__((always_inline))

/// The largest blocks: positions x vectors of 16 filters held in registers, 7 x 4 (28 of
/// AVX-512's 32 registers), 7 x 2 or 14 x 1 (14 x 2 measured slower: it spills).
enum { MAXIMUM_POSITIONS = 14, MAXIMUM_VECTORS = 4 };

// Macros rather than functions: a function passing 16-float vectors would have a different
// ABI in each instruction set's clone.
#define load16(pointer) (*(const unalignedVector16 *)(pointer))
#define store16(pointer, value) (*(unalignedVector16 *)(pointer) = (value))

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

// MARK: Forward (and the input gradient of stride-1 convolutions, which is one)

/// P output positions of one row x B vectors of filters:
/// out[f, p] (+)= sum over c, kh, kw of x[c, kh, p S + kw] * w[c, kh, kw, f].
/// x: the padded sample at the block's first input position; w: weights [C, K, K, F] at the
/// block's first filter; out: the output plane of that filter at the block's first position.
INLINE void forward_block(const float *x, long plane, long paddedWidth, long channels,
                          const float *w, long filters, float *out, long outputPlane, int accumulate,
                          const int P, const int B, const int S, const int K) {
    vector16 sums[MAXIMUM_POSITIONS][MAXIMUM_VECTORS];
    for (int p = 0; p < P; p++)
        for (int b = 0; b < B; b++) sums[p][b] = 0;
    for (long c = 0; c < channels; c++) {
        const float *xc = x + c * plane, *wc = w + c * K * K * filters;
        for (int kh = 0; kh < K; kh++) {
            for (int kw = 0; kw < K; kw++) {
                const float *xr = xc + kh * paddedWidth + kw, *wr = wc + (kh * K + kw) * filters;
                vector16 weights[MAXIMUM_VECTORS];
                for (int b = 0; b < B; b++) weights[b] = load16(wr + 16 * b);
                for (int p = 0; p < P; p++) {
                    vector16 value = xr[p * S];
                    for (int b = 0; b < B; b++)
                        sums[p][b] = __builtin_elementwise_fma(value, weights[b], sums[p][b]);
                }
            }
        }
    }
    // Filters are the vector lanes; the output is NCHW: transpose through a small buffer.
    float lanes[MAXIMUM_POSITIONS][MAXIMUM_VECTORS * 16];
    for (int p = 0; p < P; p++)
        for (int b = 0; b < B; b++) store16(&lanes[p][16 * b], sums[p][b]);
    for (int f = 0; f < 16 * B; f++) {
        float *o = out + f * outputPlane;
        if (accumulate) {
            for (int p = 0; p < P; p++) o[p] += lanes[p][f];
        } else {
            for (int p = 0; p < P; p++) o[p] = lanes[p][f];
        }
    }
}

#define FORWARD_CASE(P, B, S, K) \
    case ((P) * 1000 + (B) * 100 + (S) * 10 + (K)): \
        forward_block(x, plane, paddedWidth, channels, w, filters, out, outputPlane, accumulate, P, B, S, K); \
        return;
#define FORWARD_POSITIONS(B, S, K) \
    FORWARD_CASE(1, B, S, K) FORWARD_CASE(2, B, S, K) FORWARD_CASE(3, B, S, K) FORWARD_CASE(4, B, S, K) \
    FORWARD_CASE(5, B, S, K) FORWARD_CASE(6, B, S, K) FORWARD_CASE(7, B, S, K) FORWARD_CASE(14, B, S, K)
#define FORWARD_VECTORS(S, K) FORWARD_POSITIONS(1, S, K) FORWARD_POSITIONS(2, S, K) FORWARD_POSITIONS(4, S, K)

/// `forward_block` with its sizes as constants, so that the block lives in registers.
VECTOR_CLONES
static void forward_block_dispatch(const float *x, long plane, long paddedWidth, long channels,
                                   const float *w, long filters, float *out, long outputPlane,
                                   int accumulate, int positions, int vectors, int stride, int kernel) {
    switch (positions * 1000 + vectors * 100 + stride * 10 + kernel) {
        FORWARD_VECTORS(1, 1) FORWARD_VECTORS(1, 3) FORWARD_VECTORS(2, 1) FORWARD_VECTORS(2, 3)
    }
}

/// Vectors of 16 filters per block: 4, 2 or 1, whichever divides the filters.
static int vectors_per_block(long filters) {
    long vectors = filters / 16;
    return vectors % 4 == 0 ? 4 : vectors % 2 == 0 ? 2 : 1;
}

int nrcc_direct_convolution_supports(nrcc_convolution_shape s) {
    return s.filters > 0 && s.filters % 16 == 0 && (s.kernel == 1 || s.kernel == 3)
        && (s.stride == 1 || s.stride == 2) && s.padding >= 0 && s.channels > 0;
}

long nrcc_direct_convolution_scratch(nrcc_convolution_shape s, long count) {
    long padded = s.channels * (s.height + 2 * s.padding) * (s.width + 2 * s.padding);
    long transposed = s.outputHeight * s.outputWidth * s.filters;
    return count * (padded + transposed);
}

void nrcc_direct_convolution(const float *input, const float *weights, float *output,
                             long count, nrcc_convolution_shape s, int accumulate, float *scratch) {
    long paddedWidth = s.width + 2 * s.padding, plane = (s.height + 2 * s.padding) * paddedWidth;
    long outputPlane = s.outputHeight * s.outputWidth;
    int vectors = vectors_per_block(s.filters);
    long sampleSize = s.channels * s.height * s.width;
    long rows = s.filters / (16 * vectors) * s.outputHeight;
    for (long n = 0; n < count; n++) {
        pad_sample(scratch, input + n * sampleSize, &s);
        float *sample = output + n * s.filters * outputPlane;
        // While this sample computes, the next one's input comes into cache, a share of its
        // 64-byte lines per output row, so that padding it does not wait on memory.
        const float *next = input + (n + 1) * sampleSize;
        long lines = n + 1 < count ? (sampleSize * (long)sizeof(float) + 63) / 64 : 0;
        long linesPerRow = (lines + rows - 1) / rows, line = 0;
        for (long f = 0; f < s.filters; f += 16 * vectors) {
            for (long oh = 0; oh < s.outputHeight; oh++) {
                line = prefetch_lines(next, line, linesPerRow, lines);
                for (long ow = 0, positions; ow < s.outputWidth; ow += positions) {
                    // Blocks of 14 (7 with more than one vector) while they fit, then of at most 7.
                    long left = s.outputWidth - ow, widest = vectors == 1 ? 14 : 7;
                    positions = left >= widest ? widest : left < 7 ? left : 7;
                    forward_block_dispatch(scratch + oh * s.stride * paddedWidth + ow * s.stride, plane,
                                           paddedWidth, s.channels, weights + f, s.filters,
                                           sample + f * outputPlane + oh * s.outputWidth + ow, outputPlane,
                                           accumulate, (int)positions, vectors, (int)s.stride, (int)s.kernel);
                }
            }
        }
    }
}

// MARK: Weight gradient

/// B vectors of filters x K K taps of one input channel, summed over every output position
/// of `count` samples: dw[kh, kw, f] += sum of x[n, oh S + kh, ow S + kw] * dy[n, oh, ow, f].
/// x: the channel's padded plane of sample 0 (samples `sampleStride` apart); dy: the output
/// gradient with filters last [count, OH OW, F] at the block's first filter.
INLINE void weight_gradient_block(const float *x, long sampleStride, long paddedWidth,
                                  const float *dy, long filters, long count,
                                  long outputHeight, long outputWidth, float *dw,
                                  const int B, const int S, const int K) {
    vector16 sums[9][2];
    for (int t = 0; t < K * K; t++)
        for (int b = 0; b < B; b++) sums[t][b] = load16(dw + t * filters + 16 * b);
    for (long n = 0; n < count; n++) {
        const float *xs = x + n * sampleStride;
        const float *dys = dy + n * outputHeight * outputWidth * filters;
        for (long oh = 0; oh < outputHeight; oh++) {
            const float *row = xs + oh * S * paddedWidth;
            const float *dyr = dys + oh * outputWidth * filters;
            for (long ow = 0; ow < outputWidth; ow++) {
                vector16 gradient[2];
                for (int b = 0; b < B; b++) gradient[b] = load16(dyr + ow * filters + 16 * b);
                for (int kh = 0; kh < K; kh++) {
                    for (int kw = 0; kw < K; kw++) {
                        vector16 value = row[kh * paddedWidth + ow * S + kw];
                        for (int b = 0; b < B; b++)
                            sums[kh * K + kw][b] = __builtin_elementwise_fma(value, gradient[b], sums[kh * K + kw][b]);
                    }
                }
            }
        }
    }
    for (int t = 0; t < K * K; t++)
        for (int b = 0; b < B; b++) store16(dw + t * filters + 16 * b, sums[t][b]);
}

#define GRADIENT_CASE(B, S, K) \
    case ((B) * 100 + (S) * 10 + (K)): \
        weight_gradient_block(x, sampleStride, paddedWidth, dy, filters, count, outputHeight, outputWidth, dw, B, S, K); \
        return;

VECTOR_CLONES
static void weight_gradient_dispatch(const float *x, long sampleStride, long paddedWidth,
                                     const float *dy, long filters, long count,
                                     long outputHeight, long outputWidth, float *dw,
                                     int vectors, int stride, int kernel) {
    switch (vectors * 100 + stride * 10 + kernel) {
        GRADIENT_CASE(1, 1, 1) GRADIENT_CASE(1, 1, 3) GRADIENT_CASE(1, 2, 1) GRADIENT_CASE(1, 2, 3)
        GRADIENT_CASE(2, 1, 1) GRADIENT_CASE(2, 1, 3) GRADIENT_CASE(2, 2, 1) GRADIENT_CASE(2, 2, 3)
    }
}

void nrcc_direct_convolution_weight_gradient(const float *input, const float *outputGradient,
                                             float *weightGradient, long count, long chunk,
                                             nrcc_convolution_shape s, float *scratch) {
    long paddedWidth = s.width + 2 * s.padding, plane = (s.height + 2 * s.padding) * paddedWidth;
    long outputPlane = s.outputHeight * s.outputWidth, taps = s.kernel * s.kernel;
    long sampleSize = s.channels * s.height * s.width, gradientSize = s.filters * outputPlane;
    float *padded = scratch, *transposed = scratch + chunk * s.channels * plane;
    int vectors = (s.filters / 16) % 2 == 0 ? 2 : 1;
    for (long first = 0; first < count; first += chunk) {
        long size = count - first < chunk ? count - first : chunk;
        for (long n = 0; n < size; n++) {
            pad_sample(padded + n * s.channels * plane, input + (first + n) * sampleSize, &s);
            // [F, OH OW] -> [OH OW, F]
            const float *dy = outputGradient + (first + n) * gradientSize;
            float *t = transposed + n * outputPlane * s.filters;
            for (long f = 0; f < s.filters; f++)
                for (long p = 0; p < outputPlane; p++) t[p * s.filters + f] = dy[f * outputPlane + p];
        }
        // While this chunk computes, the next one's input and output gradient come into
        // cache, a share of their lines per input channel.
        long next = first + size, nextSize = count - next < chunk ? count - next : chunk;
        const float *nextInput = input + next * sampleSize, *nextGradient = outputGradient + next * gradientSize;
        long inputLines = (nextSize * sampleSize * (long)sizeof(float) + 63) / 64;
        long gradientLines = (nextSize * gradientSize * (long)sizeof(float) + 63) / 64;
        long inputLine = 0, gradientLine = 0;
        for (long c = 0; c < s.channels; c++) {
            inputLine = prefetch_lines(nextInput, inputLine, (inputLines + s.channels - 1) / s.channels, inputLines);
            gradientLine = prefetch_lines(nextGradient, gradientLine, (gradientLines + s.channels - 1) / s.channels,
                                          gradientLines);
            for (long f = 0; f < s.filters; f += 16 * vectors) {
                weight_gradient_dispatch(padded + c * plane, s.channels * plane, paddedWidth, transposed + f,
                                         s.filters, size, s.outputHeight, s.outputWidth,
                                         weightGradient + c * taps * s.filters + f,
                                         vectors, (int)s.stride, (int)s.kernel);
            }
        }
    }
}
