// Kernels that need the CPU's vector instructions (AVX-512, AVX2 and FMA on x86-64), which
// Swift's code generation does not target without leaving older CPUs behind. Each is
// compiled once per instruction set and picked when the library loads.
#ifndef NRCC_CKERNELS_H
#define NRCC_CKERNELS_H

/// The cores this process may run on: its affinity mask on Linux (so `taskset -c 0` gives
/// 1), the online cores elsewhere; at least 1.
long nrcc_available_cores(void);

/// Adds 1 to `*counter` atomically and returns its value before: the next item of a queue
/// that several threads take from.
long nrcc_take_next(long *counter);

/// Keeps the memory of freed blocks, large ones included, in the process's heap for the next
/// allocations instead of returning it to the system (glibc; elsewhere nothing). Returns 1
/// when the settings took effect.
int nrcc_keep_freed_memory(void);

/// The geometry of one sample of a square-kernel convolution: input [C, H, W] read through
/// a zero border of `padding`, weight taps K x K, output [F, OH, OW].
typedef struct {
    long channels, height, width;
    long filters, kernel, stride, padding;
    long outputHeight, outputWidth;
} nrcc_convolution_shape;

/// Whether the direct kernels below serve this shape: filters a multiple of 16, a kernel of
/// 1 or 3, stride 1 or 2, a padding below the kernel size.
int nrcc_direct_convolution_supports(nrcc_convolution_shape shape);

/// Whether `nrcc_direct_convolution_input_gradient` does: the same, and input channels a
/// multiple of 16 too.
int nrcc_direct_input_gradient_supports(nrcc_convolution_shape shape);

/// Floats of scratch one call with `count` samples needs (`chunk` samples for the weight
/// gradient, 1 for the others).
long nrcc_direct_convolution_scratch(nrcc_convolution_shape shape, long count);

/// weights [F, C, K, K] -> `packed` (F C K K floats), the layout `nrcc_direct_convolution`
/// reads: for each block of filters that its blocks hold (16, 32 or 64), [C, K, K, block].
void nrcc_direct_convolution_weights(const float *weights, float *packed, nrcc_convolution_shape shape);

/// weights [F, C, K, K] -> `regrouped` (F C K K floats), the layout
/// `nrcc_direct_convolution_input_gradient` reads: for each remainder class of the input
/// position mod S, its taps' weights [F, taps, C], C in blocks as `nrcc_direct_convolution_weights`
/// packs its filters.
void nrcc_direct_input_gradient_weights(const float *weights, float *regrouped, nrcc_convolution_shape shape);

/// output[n, f, oh, ow] = sum over c, kh, kw of
/// input[n, c, oh S + kh - P, ow S + kw - P] * weights[f, c, kh, kw]
/// for samples n < count. input [count, C, H, W], weights packed by
/// `nrcc_direct_convolution_weights`, output [count, F, OH, OW].
///
/// With `moments` (else NULL), also each sample's per-filter sums that batch normalisation's
/// statistics need, taken while the sums are in registers rather than by reading the output
/// again: moments [count, 3, F] = (the plane's first value s, the sums over the plane of
/// d = output[n, f] - s and of d^2).
void nrcc_direct_convolution(const float *input, const float *weights, float *output,
                             long count, nrcc_convolution_shape shape, float *scratch, float *moments);

/// inputGradient[n, c, ih, iw] (+)= sum over f, kh, kw with ih = oh S + kh - P, iw = ow S + kw - P
/// of outputGradient[n, f, oh, ow] * weights[f, c, kh, kw] for samples n < count: the adjoint
/// of `nrcc_direct_convolution`. `regrouped`: the weights as `nrcc_direct_input_gradient_weights`
/// lays them out; inputGradient assigned or, when `accumulate`, added to.
void nrcc_direct_convolution_input_gradient(const float *outputGradient, const float *regrouped,
                                            float *inputGradient, long count, nrcc_convolution_shape shape,
                                            int accumulate, float *scratch);

// bfloat16 products: the same kernels with each operand rounded to bfloat16 (to nearest, ties to
// even; subnormals to zero) and two channels' products summed into each fp32 lane at a time,
// as AVX512_BF16's VDPBF16PS does. `products`: 0 fp32, 1 bfloat16 pairs by an exact emulation of
// the instruction (any CPU), 2 by the instruction where the CPU has it (the emulation elsewhere).

/// 2 where this CPU runs VDPBF16PS (AVX-512 and AVX512_BF16), 1 otherwise.
int nrcc_bfloat16_kernel(void);

/// `nrcc_direct_convolution_weights` as bfloat16 pairs: F ceil(C / 2) K K 32-bit elements,
/// channels 2c and 2c + 1 in each one's low and high halves.
void nrcc_direct_convolution_weight_pairs(const float *weights, void *pairs, nrcc_convolution_shape shape);

/// `nrcc_direct_input_gradient_weights` as bfloat16 pairs of filters: F C K K / 2 elements.
void nrcc_direct_input_gradient_weight_pairs(const float *weights, void *pairs, nrcc_convolution_shape shape);

/// `nrcc_direct_convolution` with `products`: weights from `nrcc_direct_convolution_weights`
/// (0) or `nrcc_direct_convolution_weight_pairs` (1, 2; the input then rounded as it is
/// copied). Sums, output and moments fp32.
void nrcc_direct_convolution_products(const float *input, const void *weights, float *output, long count,
                                      nrcc_convolution_shape shape, float *scratch, float *moments, int products);

/// `nrcc_direct_convolution_input_gradient` with `products`: weights from
/// `nrcc_direct_input_gradient_weights` (0) or `..._weight_pairs` (1, 2; the output gradient
/// then rounded as it is copied).
void nrcc_direct_convolution_input_gradient_products(const float *outputGradient, const void *weights,
                                                     float *inputGradient, long count, nrcc_convolution_shape shape,
                                                     int accumulate, float *scratch, int products);

/// `nrcc_direct_convolution_weight_gradient` with `products`: with 1 or 2, the input and output
/// gradient rounded to bfloat16 as they are copied, pairs of output columns multiplied at once.
void nrcc_direct_convolution_weight_gradient_products(const float *input, const float *outputGradient,
                                                      float *weightGradient, long count, long chunk,
                                                      nrcc_convolution_shape shape, float *scratch, int products);

/// One vector of VDPBF16PS: for each of 16 lanes, sums[i] += high(a[i]) high(b[i]), then
/// += low(a[i]) low(b[i]), by `kernel` (for tests: the emulation against the instruction).
void nrcc_bfloat16_pair_products(float *sums, const unsigned int *a, const unsigned int *b, int kernel);

/// weightGradient[c, kh, kw, f] += sum over n, oh, ow of
/// input[n, c, oh S + kh - P, ow S + kw - P] * outputGradient[n, f, oh, ow]
/// for samples n < count, `chunk` samples at a time (the scratch holds
/// nrcc_direct_convolution_scratch(shape, chunk) floats). weightGradient [C, K, K, F] (filters last).
void nrcc_direct_convolution_weight_gradient(const float *input, const float *outputGradient,
                                             float *weightGradient, long count, long chunk,
                                             nrcc_convolution_shape shape, float *scratch);

/// <a, b> over `count` floats, summed in the order of Basics' `laneSum` (four running sums of
/// eight lanes, no fused multiply-adds): the same bits as Swift's `dotProduct` on every CPU.
float nrcc_dot(const float *a, const float *b, long count);

/// |a - b|^2 over `count` floats, in the same order: the same bits as Swift's `squaredDistance`.
float nrcc_squared_distance(const float *a, const float *b, long count);

/// out[r] = nrcc_dot(a, rows[r], dimension) for r < count, four rows at a time.
void nrcc_dots(const float *a, const float *const *rows, long count, long dimension, float *out);

/// out[r] = nrcc_squared_distance(a, rows[r], dimension) for r < count, four rows at a time.
void nrcc_squared_distances(const float *a, const float *const *rows, long count, long dimension, float *out);

#endif
