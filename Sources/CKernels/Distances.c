// Dot products and squared distances of float rows, in exactly the order of Basics' `laneSum`:
// four running sums of eight lanes over blocks of 32, then blocks of 8 into the first, the four
// added lane by lane as (s0 + s1) + (s2 + s3), the eight lanes added in order from -0, then
// the last count % 8 terms one by one. Every product and sum is rounded as in that Swift code
// (no fused multiply-adds), so the results are the same bits on every CPU and in every clone;
// only the width of the registers changes: AVX-512 holds two of the eight-lane sums in one
// register, AVX2 one, the baseline half of one.
//
// Several rows against one: NN-descent compares each candidate with the candidates after it,
// so one row is read from cache once for four others, and eight sums run side by side.
#include "CKernels.h"
#include "VectorClones.h"

typedef float lanes8 __attribute__((ext_vector_type(8), aligned(4)));
typedef float lanes16 __attribute__((ext_vector_type(16), aligned(4)));
typedef float sum8 __attribute__((ext_vector_type(8)));
typedef float sum16 __attribute__((ext_vector_type(16)));

#pragma clang fp contract(off)
// The helpers below pass 16-float vectors by value; they are always inlined into the clones,
// so the calling convention the baseline build warns about never applies.
#pragma clang diagnostic ignored "-Wpsabi"

INLINE lanes16 load16(const float *p) { return *(const lanes16 *)p; }
INLINE lanes8 load8(const float *p) { return *(const lanes8 *)p; }

// The terms of one block: products, or squared differences.
#define TERM16(a, b, squared) ((squared) ? ((load16(a) - load16(b)) * (load16(a) - load16(b))) : (load16(a) * load16(b)))
#define TERM8(a, b, squared) ((squared) ? ((load8(a) - load8(b)) * (load8(a) - load8(b))) : (load8(a) * load8(b)))

// `laneSum`'s last steps, from the four eight-lane sums: s01 holds s0 (lanes 0-7) and s1
// (8-15), s23 holds s2 and s3.
INLINE float finish(sum16 s01, sum16 s23, const float *a, const float *b, long c, long count, int squared) {
    sum8 s0 = s01.lo, s1 = s01.hi, s2 = s23.lo, s3 = s23.hi;
    sum8 all = (s0 + s1) + (s2 + s3);
    float total = -0.0f;
    for (int lane = 0; lane < 8; lane++) total += all[lane];
    for (; c < count; c++) {
        float term = squared ? (a[c] - b[c]) * (a[c] - b[c]) : a[c] * b[c];
        total += term;
    }
    return total;
}

// The blocks of 8 after the blocks of 32 go into s0, the low half of s01.
INLINE sum16 eights(sum16 s01, const float *a, const float *b, long *c, long count, int squared) {
    sum8 s0 = s01.lo;
    for (; *c + 8 <= count; *c += 8) s0 += TERM8(a + *c, b + *c, squared);
    s01.lo = s0;
    return s01;
}

INLINE float one(const float *a, const float *b, long count, int squared) {
    sum16 s01 = 0, s23 = 0;
    long c = 0;
    for (; c + 32 <= count; c += 32) {
        s01 += TERM16(a + c, b + c, squared);
        s23 += TERM16(a + c + 16, b + c + 16, squared);
    }
    s01 = eights(s01, a, b, &c, count, squared);
    return finish(s01, s23, a, b, c, count, squared);
}

// Row `a` against `count` rows, four at a time; out[r] as `one(a, rows[r])`.
INLINE void many(const float *a, const float *const *rows, long count, long dimension, float *out, int squared) {
    long r = 0;
    for (; r + 4 <= count; r += 4) {
        const float *b0 = rows[r], *b1 = rows[r + 1], *b2 = rows[r + 2], *b3 = rows[r + 3];
        sum16 p0 = 0, q0 = 0, p1 = 0, q1 = 0, p2 = 0, q2 = 0, p3 = 0, q3 = 0;
        long c = 0;
        for (; c + 32 <= dimension; c += 32) {
            p0 += TERM16(a + c, b0 + c, squared); q0 += TERM16(a + c + 16, b0 + c + 16, squared);
            p1 += TERM16(a + c, b1 + c, squared); q1 += TERM16(a + c + 16, b1 + c + 16, squared);
            p2 += TERM16(a + c, b2 + c, squared); q2 += TERM16(a + c + 16, b2 + c + 16, squared);
            p3 += TERM16(a + c, b3 + c, squared); q3 += TERM16(a + c + 16, b3 + c + 16, squared);
        }
        long c0 = c, c1 = c, c2 = c, c3 = c;
        p0 = eights(p0, a, b0, &c0, dimension, squared);
        p1 = eights(p1, a, b1, &c1, dimension, squared);
        p2 = eights(p2, a, b2, &c2, dimension, squared);
        p3 = eights(p3, a, b3, &c3, dimension, squared);
        out[r] = finish(p0, q0, a, b0, c0, dimension, squared);
        out[r + 1] = finish(p1, q1, a, b1, c1, dimension, squared);
        out[r + 2] = finish(p2, q2, a, b2, c2, dimension, squared);
        out[r + 3] = finish(p3, q3, a, b3, c3, dimension, squared);
    }
    for (; r < count; r++) out[r] = one(a, rows[r], dimension, squared);
}

VECTOR_CLONES
float nrcc_dot(const float *a, const float *b, long count) { return one(a, b, count, 0); }

VECTOR_CLONES
float nrcc_squared_distance(const float *a, const float *b, long count) { return one(a, b, count, 1); }

VECTOR_CLONES
void nrcc_dots(const float *a, const float *const *rows, long count, long dimension, float *out) {
    many(a, rows, count, dimension, out, 0);
}

VECTOR_CLONES
void nrcc_squared_distances(const float *a, const float *const *rows, long count, long dimension, float *out) {
    many(a, rows, count, dimension, out, 1);
}
