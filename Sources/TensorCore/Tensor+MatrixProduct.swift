// Matrix products through BLAS, and the linear map of a fully connected layer.
import Basics

/// `op(a) op(b)` for 2-D tensors, where `op` transposes when asked:
/// `op(a)` is [m, k] (a stored [k, m] when `transposeA`), `op(b)` is [k, n]; result [m, n].
///
/// With C = op(A) op(B): dA = dC op(B)^T (transposed back when `transposeA`),
/// dB = op(A)^T dC (transposed back when `transposeB`).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    checkArgument(a.rank == 2 && b.rank == 2, "matmul: expected 2-D operands, got shapes \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kB = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    checkArgument(k == kB, "matmul: lhs \(a.shape)\(transposeA ? "^T" : "") has \(k) columns, rhs \(b.shape)\(transposeB ? "^T" : "") has \(kB) rows")
    let result = Tensor.uninitialized([m, n])
    let lda = a.shape[1], ldb = b.shape[1]
    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
         a: a.storage.pointer, lda: lda, b: b.storage.pointer, ldb: ldb,
         beta: 0, c: result.storage.pointer, ldc: n)
    // Gradients cover whole operands: a fresh one is assigned (beta 0), not zero-filled.
    // If a and b are one tensor, its second contribution adds to the first.
    result.record([a, b]) { _, g in
        if a.isGradientNeeded {
            let destination = a.gradientDestination()
            if transposeA {
                // dA [k, m] = op(B) [k, n] x dC^T [n, m]
                gemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                     a: b.storage.pointer, lda: ldb, b: g, ldb: n,
                     beta: destination.beta, c: destination.pointer, ldc: lda)
            } else {
                // dA [m, k] = dC [m, n] x op(B)^T [n, k]
                gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                     a: g, lda: n, b: b.storage.pointer, ldb: ldb,
                     beta: destination.beta, c: destination.pointer, ldc: lda)
            }
        }
        if b.isGradientNeeded {
            let destination = b.gradientDestination()
            if transposeB {
                // dB [n, k] = dC^T [n, m] x op(A) [m, k]
                gemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                     a: g, lda: n, b: a.storage.pointer, ldb: lda,
                     beta: destination.beta, c: destination.pointer, ldc: ldb)
            } else {
                // dB [k, n] = op(A)^T [k, m] x dC [m, n]
                gemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                     a: a.storage.pointer, lda: lda, b: g, ldb: n,
                     beta: destination.beta, c: destination.pointer, ldc: ldb)
            }
        }
    }
    return result
}

/// The affine map of a fully connected layer, PyTorch's `F.linear`:
/// `input [N, in] x weight[out, in]^T + bias [out]` -> [N, out].
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    checkArgument(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                 "linear: input has shape \(input.shape), weight has shape \(weight.shape) (expected [out, \(input.rank == 2 ? input.shape[1] : -1)])")
    let product = matmul(input, weight, transposeB: true)
    guard let bias else { return product }
    checkArgument(bias.shape == [weight.shape[0]], "linear: bias has shape \(bias.shape), weight has shape \(weight.shape)")
    return product + bias
}

/// `op(a_i) op(b_i)` for every i of a batch of matrices, PyTorch's `torch.bmm`:
/// a [B, m, k] (stored [B, k, m] when `transposeA`), b [B, k, n] ([B, n, k] when
/// `transposeB`) -> [B, m, n]. The batch is spread over the cores, one product per matrix.
///
/// Per matrix, as `matmul`: dA_i = dC_i op(B_i)^T, dB_i = op(A_i)^T dC_i (transposed back
/// where the operand was).
public func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    checkArgument(a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0],
                 "batchedMatmul: expected [B, ., .] operands with one batch, got shapes \(a.shape) and \(b.shape)")
    let batch = a.shape[0]
    let m = transposeA ? a.shape[2] : a.shape[1], k = transposeA ? a.shape[1] : a.shape[2]
    let kB = transposeB ? b.shape[2] : b.shape[1], n = transposeB ? b.shape[1] : b.shape[2]
    checkArgument(k == kB, "batchedMatmul: lhs \(a.shape)\(transposeA ? "^T" : "") has \(k) columns, rhs \(b.shape)\(transposeB ? "^T" : "") has \(kB) rows")
    let lda = a.shape[2], ldb = b.shape[2]
    let sizeA = a.count / max(1, batch), sizeB = b.count / max(1, batch), sizeC = m * n
    let result = Tensor.uninitialized([batch, m, n])
    let pointers = UncheckedSendable((a.storage.pointer, b.storage.pointer, result.storage.pointer))
    parallelFor(batch) { i in
        let (x, y, z) = pointers.value
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             a: x + i * sizeA, lda: lda, b: y + i * sizeB, ldb: ldb, beta: 0, c: z + i * sizeC, ldc: n)
    }
    result.record([a, b]) { _, g in
        // Both destinations first, A's before B's: if a and b are one tensor, B's product adds
        // to A's within the same matrix, in the same iteration.
        let gradA = a.isGradientNeeded ? a.gradientDestination() : nil
        let gradB = b.isGradientNeeded ? b.gradientDestination() : nil
        let gradient = UncheckedSendable(g)
        parallelFor(batch) { i in
            let (x, y, _) = pointers.value
            let dC = gradient.value + i * sizeC
            if let gradA {
                if transposeA {
                    gemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                         a: y + i * sizeB, lda: ldb, b: dC, ldb: n,
                         beta: gradA.beta, c: gradA.pointer + i * sizeA, ldc: lda)
                } else {
                    gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                         a: dC, lda: n, b: y + i * sizeB, ldb: ldb,
                         beta: gradA.beta, c: gradA.pointer + i * sizeA, ldc: lda)
                }
            }
            if let gradB {
                if transposeB {
                    gemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                         a: dC, lda: n, b: x + i * sizeA, ldb: lda,
                         beta: gradB.beta, c: gradB.pointer + i * sizeB, ldc: ldb)
                } else {
                    gemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                         a: x + i * sizeA, lda: lda, b: dC, ldb: n,
                         beta: gradB.beta, c: gradB.pointer + i * sizeB, ldc: ldb)
                }
            }
        }
    }
    return result
}

/// `linear` for inputs of many rows, such as the tokens of a transformer: the same map
/// `input [M, in] x weight [out, in]^T + bias [out]` -> [M, out], with the bias folded into
/// the product and the products cut into blocks that follow the rows alone and are spread
/// over the cores, so that the bits do not depend on the core count.
///
/// dInput = dC W (blocks of input rows); dW = dC^T X, summed over slices of the rows (each
/// slice's X packed once per block of output features, the blocks as few as sharing out the
/// work allows), the slices' sums added in order;
/// dBias = the column sums of dC (blocks of columns, rows added in order).
public func rowParallelLinear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    checkArgument(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                 "rowParallelLinear: input has shape \(input.shape), weight has shape \(weight.shape) (expected [out, \(input.rank == 2 ? input.shape[1] : -1)])")
    let rows = input.shape[0], inputSize = input.shape[1], outputSize = weight.shape[0]
    if let bias {
        checkArgument(bias.shape == [outputSize], "rowParallelLinear: bias has shape \(bias.shape), weight has shape \(weight.shape)")
    }
    let result = Tensor.uninitialized([rows, outputSize])
    let x = input.storage.pointer, w = weight.storage.pointer, z = result.storage.pointer
    if let bias {
        let shared = UncheckedSendable(z), b = bias.storage.pointer
        parallelChunks(rows, minimumChunk: 256) { range in
            for row in range { (shared.value + row * outputSize).update(from: b, count: outputSize) }
        }
    }
    // Blocks of at most 512 rows (each packs W once), at least 16 of them to share out.
    let rowBlock = min(512, max(128, rows / 16))
    parallelGEMM(transposeB: true, m: rows, n: outputSize, k: inputSize, a: x, lda: inputSize,
                 b: w, ldb: inputSize, beta: bias == nil ? 0 : 1, c: z, ldc: outputSize, rowBlock: rowBlock)
    result.record([input, weight] + (bias.map { [$0] } ?? [])) { _, g in
        if input.isGradientNeeded {
            let destination = input.gradientDestination()
            parallelGEMM(m: rows, n: inputSize, k: outputSize, a: g, lda: outputSize, b: w, ldb: inputSize,
                         beta: destination.beta, c: destination.pointer, ldc: inputSize, rowBlock: rowBlock)
        }
        if weight.isGradientNeeded {
            let destination = weight.gradientDestination()
            // Up to 8 slices of at least 1,024 rows, each cut into blocks of output features
            // to make about 8 products to share out: both follow the shapes alone.
            let slices = min(8, max(1, rows / 1024)), sliceRows = (rows + slices - 1) / slices
            let blocksPerSlice = 8 / slices
            let featureBlock = max(16, (outputSize + blocksPerSlice - 1) / blocksPerSlice)
            let featureBlocks = (outputSize + featureBlock - 1) / featureBlock
            let size = outputSize * inputSize
            // One slice writes the gradient itself; several write partial sums, added in order.
            let partial = slices == 1 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: slices * size)
            defer { partial?.deallocate() }
            let pointers = UncheckedSendable((g, partial, destination))
            parallelFor(slices * featureBlocks) { product in
                let (g, partial, destination) = pointers.value
                let slice = product / featureBlocks, firstFeature = (product % featureBlocks) * featureBlock
                let first = slice * sliceRows
                let c = (partial.map { $0 + slice * size } ?? destination.pointer) + firstFeature * inputSize
                gemm(transposeA: true, m: min(featureBlock, outputSize - firstFeature), n: inputSize,
                     k: min(sliceRows, rows - first), a: g + first * outputSize + firstFeature, lda: outputSize,
                     b: x + first * inputSize, ldb: inputSize, beta: partial == nil ? destination.beta : 0,
                     c: c, ldc: inputSize)
            }
            if let partial {
                let sums = UncheckedSendable((destination.pointer, partial)), accumulates = destination.accumulates
                parallelChunks(size, minimumChunk: 1 << 14) { range in
                    let (gradient, partial) = sums.value
                    for index in range {
                        var total = accumulates ? gradient[index] : 0
                        for slice in 0..<slices { total += partial[slice * size + index] }
                        gradient[index] = total
                    }
                }
            }
        }
        if let bias, bias.isGradientNeeded {
            let gradient = UncheckedSendable(bias.gradientPointer())
            parallelChunks(outputSize, minimumChunk: 32) { columns in
                for row in 0..<rows {
                    let line = g + row * outputSize
                    for column in columns { gradient.value[column] += line[column] }
                }
            }
        }
    }
    return result
}
