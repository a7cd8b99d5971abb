// The direct convolution kernels alone: forward pass, input gradient and weight gradient of
// every convolution shape of the narrow ResNet-18 on 28x28 inputs, one thread, CPU time, the
// best of `repeats` calls on a batch of 64. Other tenants of a shared host move a whole
// training step by 1.3x between invocations; a kernel alone on one thread, timed by the CPU
// time of its thread, moves by a few percent, so two versions of the kernels can be compared
// by building both and running them alternately:
//
//     git show <commit>:Sources/CKernels/DirectConvolution.c > /tmp/before.c
//     for kernels in /tmp/before.c Sources/CKernels/DirectConvolution.c; do
//         clang -O3 -ISources/CKernels/include Benchmarks/kernels/direct_convolution.c "$kernels" \
//             -o "/tmp/$(basename "$kernels" .c)" -lm
//     done
//     for round in 1 2 3; do /tmp/before; /tmp/DirectConvolution; done
//
// Each line: milliseconds and GFLOP/s of the three passes, and a hash of each result's bytes
// (equal hashes: the versions compute the same sums, bit for bit).
//
// `direct_convolution 9 bf16` times the three passes on bfloat16 pairs instead
// (`nrcc_direct_convolution_products` and its kin): with AVX512_BF16's VDPBF16PS where the CPU
// has it, its exact emulation elsewhere (the first line says which).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "CKernels.h"

static double thread_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return now.tv_sec + 1e-9 * now.tv_nsec;
}

/// Uniform in [-0.5, 0.5) from a 64-bit linear congruential generator: the same inputs on
/// every machine.
static float next_value(unsigned long long *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)(*state >> 40) / (float)(1 << 24) - 0.5f;
}

/// FNV-1a over the bytes of `count` floats.
static unsigned long long bytes_hash(const float *values, long count) {
    const unsigned char *bytes = (const unsigned char *)values;
    unsigned long long hash = 14695981039346656037ULL;
    for (long i = 0; i < count * (long)sizeof(float); i++) hash = (hash ^ bytes[i]) * 1099511628211ULL;
    return hash;
}

typedef struct { const char *name; long channels, size, filters, kernel, stride; } layer;

int main(int argc, char **argv) {
    const layer layers[] = {
        {"stem 1->16 28x28", 1, 28, 16, 3, 1},       {"layer1 16 28x28", 16, 28, 16, 3, 1},
        {"layer2 16->32 s2", 16, 28, 32, 3, 2},      {"layer2 32 14x14", 32, 14, 32, 3, 1},
        {"layer3 32->64 s2", 32, 14, 64, 3, 2},      {"layer3 64 7x7", 64, 7, 64, 3, 1},
        {"layer4 64->128 s2", 64, 7, 128, 3, 2},     {"layer4 128 4x4", 128, 4, 128, 3, 1},
        {"shortcut 16->32 1x1", 16, 28, 32, 1, 2},   {"shortcut 64->128 1x1", 64, 7, 128, 1, 2},
    };
    const long batch = 64;
    const int repeats = argc > 1 ? atoi(argv[1]) : 9;
    const int pairs = argc > 2 && strcmp(argv[2], "bf16") == 0, kernel = nrcc_bfloat16_kernel();
    if (pairs) printf("bfloat16 pairs: %s\n", kernel == 2 ? "VDPBF16PS (AVX512_BF16)" : "emulated (no AVX512_BF16)");
    double totals[3] = {0, 0, 0};
    printf("%-22s %22s %22s %22s\n", "shape", "forward", "input gradient", "weight gradient");
    for (unsigned index = 0; index < sizeof layers / sizeof layers[0]; index++) {
        layer l = layers[index];
        long padding = l.kernel / 2, outputSize = (l.size + 2 * padding - l.kernel) / l.stride + 1;
        nrcc_convolution_shape shape = {l.channels, l.size, l.size, l.filters, l.kernel, l.stride, padding,
                                        outputSize, outputSize};
        long inputCount = batch * l.channels * l.size * l.size, outputCount = batch * l.filters * outputSize * outputSize;
        long weightCount = l.filters * l.channels * l.kernel * l.kernel;
        float *input = malloc(inputCount * sizeof(float)), *output = malloc(outputCount * sizeof(float));
        float *outputGradient = malloc(outputCount * sizeof(float)), *inputGradient = calloc(inputCount, sizeof(float));
        float *weights = malloc(weightCount * sizeof(float)), *packed = malloc(weightCount * sizeof(float));
        float *weightGradient = malloc(weightCount * sizeof(float));
        unsigned long long state = 1;
        for (long i = 0; i < inputCount; i++) input[i] = next_value(&state);
        for (long i = 0; i < outputCount; i++) outputGradient[i] = next_value(&state);
        for (long i = 0; i < weightCount; i++) weights[i] = next_value(&state);
        // The weight gradient's chunk as the library sizes it (TensorCore's directSamplesPerChunk).
        long chunk = (1 << 17) / nrcc_direct_convolution_scratch(shape, 1);
        chunk = chunk < 1 ? 1 : chunk > batch ? batch : chunk;
        float *scratch = malloc(nrcc_direct_convolution_scratch(shape, chunk) * sizeof(float));
        double best[3] = {1e30, 1e30, 1e30};
        int hasInputGradient = nrcc_direct_input_gradient_supports(shape);
        for (int repeat = 0; repeat < repeats; repeat++) {
            double start = thread_seconds();
            if (pairs) {
                nrcc_direct_convolution_weight_pairs(weights, packed, shape);
                nrcc_direct_convolution_products(input, packed, output, batch, shape, scratch, NULL, kernel);
            } else {
                nrcc_direct_convolution_weights(weights, packed, shape);
                nrcc_direct_convolution(input, packed, output, batch, shape, scratch, NULL);
            }
            double forward = thread_seconds() - start;
            start = thread_seconds();
            if (hasInputGradient && pairs) {
                nrcc_direct_input_gradient_weight_pairs(weights, packed, shape);
                nrcc_direct_convolution_input_gradient_products(outputGradient, packed, inputGradient,
                                                                batch, shape, 0, scratch, kernel);
            } else if (hasInputGradient) {
                nrcc_direct_input_gradient_weights(weights, packed, shape);
                nrcc_direct_convolution_input_gradient(outputGradient, packed, inputGradient, batch, shape, 0, scratch);
            }
            double backward = thread_seconds() - start;
            start = thread_seconds();
            memset(weightGradient, 0, weightCount * sizeof(float));
            if (pairs)
                nrcc_direct_convolution_weight_gradient_products(input, outputGradient, weightGradient, batch, chunk,
                                                                 shape, scratch, kernel);
            else
                nrcc_direct_convolution_weight_gradient(input, outputGradient, weightGradient, batch, chunk, shape,
                                                        scratch);
            double gradient = thread_seconds() - start;
            double seconds[3] = {forward, backward, gradient};
            for (int pass = 0; pass < 3; pass++) if (seconds[pass] < best[pass]) best[pass] = seconds[pass];
        }
        double flops = 2.0 * outputCount * l.channels * l.kernel * l.kernel;
        printf("%-22s", l.name);
        for (int pass = 0; pass < 3; pass++) {
            if (pass == 1 && !hasInputGradient) { printf(" %22s", "(im2col)"); continue; }
            totals[pass] += best[pass];
            printf("  %7.2f ms %6.1f GF/s", 1e3 * best[pass], flops / best[pass] / 1e9);
        }
        printf("   hashes %016llx %016llx %016llx\n", bytes_hash(output, outputCount),
               hasInputGradient ? bytes_hash(inputGradient, inputCount) : 0ULL, bytes_hash(weightGradient, weightCount));
        free(input); free(output); free(outputGradient); free(inputGradient);
        free(weights); free(packed); free(weightGradient); free(scratch);
    }
    printf("%-22s  %7.2f ms %14s %7.2f ms %14s %7.2f ms\n", "total", 1e3 * totals[0], "", 1e3 * totals[1], "",
           1e3 * totals[2]);
    return 0;
}
