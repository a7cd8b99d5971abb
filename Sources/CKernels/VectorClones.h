// How the vector kernels are built: on x86-64 Linux with Clang each function marked
// VECTOR_CLONES is compiled for AVX-512, for AVX2 + FMA and for the baseline, and the loader
// picks the best the CPU runs (target_clones); elsewhere it is compiled for the build's target.
// NRCC_SINGLE_TARGET builds for the compiler's target only (to check another instruction
// set's code on this CPU: -DNRCC_SINGLE_TARGET -march=haswell, or without -march).
#ifndef NRCC_VECTOR_CLONES_H
#define NRCC_VECTOR_CLONES_H

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__) && !defined(NRCC_SINGLE_TARGET)
#define BUILDS_CLONES 1
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BUILDS_CLONES 0
#define VECTOR_CLONES
#endif

#define INLINE static inline __attribute__((always_inline))

#endif
