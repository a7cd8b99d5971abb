// The blocks of the direct convolution (forward pass and input gradient; weight gradient),
// included by DirectConvolution.c once for each way of multiplying bfloat16 pairs (the
// instance's PAIR_PRODUCTS_OF), under the names CONVOLUTION_BLOCK and WEIGHT_GRADIENT_BLOCK: an
// intrinsic of AVX512_BF16 may only appear in a function compiled for it, so the hardware's
// instance is the same code compiled under that target.

/// P output positions x B vectors of filters, summed over input channels and a TH x TW grid
/// of kernel taps: out[f, p Q] (+)= sum over c, i, j of x[c, i, p S + j] * w[c, i TW + j, f].
/// x: the padded sample at the block's first input position and first tap (channels `plane`
/// floats apart, rows `rowLength`); w: the block's packed weights [C, TH TW, B 16]
/// (`PACK_FILTER_BLOCKS`; `filters` = 16 B, the stride of a tap);
/// out: the output plane of that filter at the block's first position, positions Q floats
/// apart; partial: the block's partial sums [P, B, 16], read and written as `phase` says;
/// moments (or NULL): the sample's shifts s, sums of d = out - s and of d^2, rows
/// `momentStride` floats apart, at the block's first filter, added to when the block finishes;
/// the plane's first block (`FIRST_BLOCK`) sets them, its first position becoming the shifts.
/// With `PRODUCTS` other than `FP32_PRODUCTS`, x and w hold bfloat16 pairs and `channels` counts
/// pairs.
INLINE void CONVOLUTION_BLOCK(const float *x, long plane, long rowLength, long channels,
                              const float *w, long filters, float *out, long outputPlane, int accumulate,
                              float *partial, int phase, float *moments, long momentStride,
                              const int P, const int B, const int S, const int Q, const int TH, const int TW,
                              const int PRODUCTS) {
    vector16 sums[MAXIMUM_POSITIONS][MAXIMUM_VECTORS];
    for (int p = 0; p < P; p++)
        for (int b = 0; b < B; b++) sums[p][b] = phase & CONTINUES ? load16(partial + (p * B + b) * 16) : 0;
    for (long c = 0; c < channels; c++) {
        const float *xc = x + c * plane, *wc = w + c * TH * TW * filters;
        // Every tap unrolled: Clang's heuristics otherwise keep a loop over the columns.
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < TH; i++) {
            _Pragma("clang loop unroll(full)")
            for (int j = 0; j < TW; j++) {
                const float *xr = xc + i * rowLength + j, *wr = wc + (i * TW + j) * filters;
                vector16 weights[MAXIMUM_VECTORS];
                for (int b = 0; b < B; b++) weights[b] = load16(wr + 16 * b);
                for (int p = 0; p < P; p++) {
                    if (PRODUCTS == FP32_PRODUCTS) {
                        vector16 value = xr[p * S];
                        for (int b = 0; b < B; b++)
                            sums[p][b] += value * weights[b];
                    } else {
                        bits16 pair = ((const unsigned int *)xr)[p * S];
                        for (int b = 0; b < B; b++)
                            sums[p][b] = PAIR_PRODUCTS_OF(sums[p][b], pair, (bits16)weights[b]);
                    }
                }
            }
        }
    }
    if (!(phase & FINISHES)) {
        for (int p = 0; p < P; p++)
            for (int b = 0; b < B; b++) store16(partial + (p * B + b) * 16, sums[p][b]);
        return;
    }
    if (moments) {
        for (int b = 0; b < B; b++) {
            float *shifts = moments + 16 * b, *totals = shifts + momentStride, *squares = totals + momentStride;
            vector16 shift = phase & FIRST_BLOCK ? sums[0][b] : load16(shifts), total = 0, square = 0;
            for (int p = 0; p < P; p++) {
                vector16 d = sums[p][b] - shift;
                total += d;
                square += d * d;
            }
            if (phase & FIRST_BLOCK) {
                store16(shifts, shift);
                store16(totals, total);
                store16(squares, square);
            } else {
                store16(totals, load16(totals) + total);
                store16(squares, load16(squares) + square);
            }
        }
    }
    // Filters are the vector lanes; the output is NCHW. With consecutive positions (Q = 1),
    // each vector of 16 filters and the block's P positions, padded to R rows, is transposed in
    // registers; filter R g + i's positions are then lanes R g ... R g + P - 1 of row i.
    if (Q == 1) {
        const int R = P <= 1 ? 1 : P <= 2 ? 2 : P <= 4 ? 4 : P <= 8 ? 8 : 16;
        for (int b = 0; b < B; b++) {
            vector16 r[16];
            for (int i = 0; i < R; i++) r[i] = i < P ? sums[i][b] : 0;
            if (R > 8) TRANSPOSE_STEP(r, R, 8, SWAP8_LOW, SWAP8_HIGH)
            if (R > 4) TRANSPOSE_STEP(r, R, 4, SWAP4_LOW, SWAP4_HIGH)
            if (R > 2) TRANSPOSE_STEP(r, R, 2, SWAP2_LOW, SWAP2_HIGH)
            if (R > 1) TRANSPOSE_STEP(r, R, 1, SWAP1_LOW, SWAP1_HIGH)
            float rows[16][16];
            for (int i = 0; i < R; i++) store16(rows[i], r[i]);
            for (int f = 0; f < 16; f++) {
                float *o = out + (16 * b + f) * outputPlane;
                const float *v = &rows[f % R][f / R * R];
                if (accumulate) {
                    for (int p = 0; p < P; p++) o[p] += v[p];
                } else {
                    for (int p = 0; p < P; p++) o[p] = v[p];
                }
            }
        }
        return;
    }
    float lanes[MAXIMUM_POSITIONS][MAXIMUM_VECTORS * 16];
    for (int p = 0; p < P; p++)
        for (int b = 0; b < B; b++) store16(&lanes[p][16 * b], sums[p][b]);
    for (int f = 0; f < 16 * B; f++) {
        float *o = out + f * outputPlane;
        if (accumulate) {
            for (int p = 0; p < P; p++) o[p * Q] += lanes[p][f];
        } else {
            for (int p = 0; p < P; p++) o[p * Q] = lanes[p][f];
        }
    }
}

/// B vectors of filters x R K taps (kernel rows kh0 ..< kh0 + R) of CH input channels, summed
/// over every output position of `count` samples:
/// dw[c, kh, kw, f] += sum of x[n, c, oh S + kh, ow S + kw] * dy[n, oh, ow, f].
/// x: the first channel's padded plane of sample 0 (samples `sampleStride` apart, channels
/// `channelStride`, rows of taps `rowStride`: `paddedWidth`, or a plane for the R channels of a
/// 1 x 1 kernel); dy: the output gradient with filters last [count, OH OW, F] at the block's
/// first filter; dw: [K, K, F] per channel (`dwChannelStride` apart) at the block's first filter
/// (for a 1 x 1 kernel, [R, F] of the block's channels). At most 18 sums (CH R K B).
/// With `PRODUCTS` other than `FP32_PRODUCTS`, x holds pairs of positions and dy pairs of
/// output columns (`outputWidth` counts pairs).
INLINE void WEIGHT_GRADIENT_BLOCK(const float *x, long sampleStride, long paddedWidth, long rowStride,
                                  long channelStride, const float *dy, long filters, long count,
                                  long outputHeight, long outputWidth, float *dw, long dwChannelStride, long kh0,
                                  const int B, const int S, const int K, const int R, const int CH, const int PRODUCTS) {
    // Pairs of positions: output columns 2q and 2q + 1 are one, x's pair for a tap at q lies at
    // column 2q S + kw of its pair rows (`pad_position_pairs`).
    const int STEP = PRODUCTS == FP32_PRODUCTS ? S : 2 * S;
    vector16 sums[18][2];
    dw += kh0 * K * filters;
    x += kh0 * rowStride;
    for (int ch = 0; ch < CH; ch++)
        for (int t = 0; t < R * K; t++)
            for (int b = 0; b < B; b++)
                sums[ch * R * K + t][b] = load16(dw + ch * dwChannelStride + t * filters + 16 * b);
    for (long n = 0; n < count; n++) {
        const float *xs = x + n * sampleStride;
        const float *dys = dy + n * outputHeight * outputWidth * filters;
        for (long oh = 0; oh < outputHeight; oh++) {
            const float *row = xs + oh * S * paddedWidth;
            const float *dyr = dys + oh * outputWidth * filters;
            for (long ow = 0; ow < outputWidth; ow++) {
                vector16 gradient[2];
                for (int b = 0; b < B; b++) gradient[b] = load16(dyr + ow * filters + 16 * b);
                for (int ch = 0; ch < CH; ch++) {
                    for (int kh = 0; kh < R; kh++) {
                        for (int kw = 0; kw < K; kw++) {
                            long at = ch * channelStride + kh * rowStride + ow * STEP + kw;
                            if (PRODUCTS == FP32_PRODUCTS) {
                                vector16 value = row[at];
                                for (int b = 0; b < B; b++)
                                    sums[(ch * R + kh) * K + kw][b] += value * gradient[b];
                            } else {
                                bits16 pair = ((const unsigned int *)row)[at];
                                for (int b = 0; b < B; b++)
                                    sums[(ch * R + kh) * K + kw][b] =
                                        PAIR_PRODUCTS_OF(sums[(ch * R + kh) * K + kw][b], pair, (bits16)gradient[b]);
                            }
                        }
                    }
                }
            }
        }
    }
    for (int ch = 0; ch < CH; ch++)
        for (int t = 0; t < R * K; t++)
            for (int b = 0; b < B; b++)
                store16(dw + ch * dwChannelStride + t * filters + 16 * b, sums[ch * R * K + t][b]);
}
