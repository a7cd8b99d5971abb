// Reshaping, concatenation and slicing along the batch axis.
import Basics

extension Tensor {
    /// The same elements viewed with another shape of the same element count (no copy).
    /// One extent may be -1 and is then inferred. d/dx = the gradient reshaped back.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            checkArgument(known > 0 && count % known == 0, "reshaped: cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        checkArgument(resolved.reduce(1, *) == count, "reshaped: cannot reshape \(shape) (\(count) elements) to \(newShape)")
        let result = Tensor(shape: resolved, storage: storage)
        let total = count
        result.record([self]) { _, g in
            let gradX = UncheckedSendable(self.gradientPointer())
            parallelChunks(total, minimumChunk: 1 << 15) { range in
                for i in range { gradX.value[i] += g[i] }
            }
        }
        return result
    }

    /// Rows `range` of the outermost (batch) axis, copied. d/dx = g placed back in `range`.
    public func slice(batch range: Range<Int>) -> Tensor {
        checkArgument(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "slice: range \(range) out of bounds for shape \(shape)")
        let rowSize = count / max(1, shape[0])
        var resultShape = shape
        resultShape[0] = range.count
        let result = Tensor.uninitialized(resultShape)
        let offset = range.lowerBound * rowSize
        result.storage.pointer.update(from: storage.pointer + offset, count: result.count)
        let total = result.count
        result.record([self]) { _, g in
            let gradX = self.gradientPointer() + offset
            for i in 0..<total { gradX[i] += g[i] }
        }
        return result
    }
}

/// The tensors stacked along the outermost (batch) axis; all other extents must agree.
/// d/dx_t = the rows of g that came from x_t.
public func concatenate(batch tensors: [Tensor]) -> Tensor {
    checkArgument(!tensors.isEmpty, "concatenate: no tensors")
    let tail = Array(tensors[0].shape.dropFirst())
    for tensor in tensors {
        checkArgument(tensor.rank >= 1 && Array(tensor.shape.dropFirst()) == tail,
                     "concatenate: shapes \(tensors[0].shape) and \(tensor.shape) differ beyond the batch axis")
    }
    let rows = tensors.reduce(0) { $0 + $1.shape[0] }
    let result = Tensor.uninitialized([rows] + tail)
    var offset = 0
    var offsets: [Int] = []
    for tensor in tensors {
        offsets.append(offset)
        (result.storage.pointer + offset).update(from: tensor.storage.pointer, count: tensor.count)
        offset += tensor.count
    }
    result.record(tensors) { _, g in
        for (tensor, offset) in zip(tensors, offsets) where tensor.isGradientNeeded {
            let gradX = tensor.gradientPointer()
            for i in 0..<tensor.count { gradX[i] += g[offset + i] }
        }
    }
    return result
}

extension Tensor {
    /// The transpose of a 2-D tensor [M, N] -> [N, M] (a copy). d/dx = g transposed back.
    /// Prefer `matmul(_:_:transposeA:transposeB:)` where the transpose feeds a product.
    public func transposed() -> Tensor {
        checkArgument(rank == 2, "transposed: expected a 2-D tensor, got shape \(shape)")
        let rows = shape[0], columns = shape[1]
        let result = Tensor.uninitialized([columns, rows])
        let x = storage.pointer, z = result.storage.pointer
        for row in 0..<rows {
            for column in 0..<columns { z[column * rows + row] = x[row * columns + column] }
        }
        result.record([self]) { _, g in
            let gradX = self.gradientPointer()
            for row in 0..<rows {
                for column in 0..<columns { gradX[row * columns + column] += g[column * rows + row] }
            }
        }
        return result
    }
}

extension Tensor {
    /// The axes reordered (a copy), PyTorch's `permute`: result axis i is input axis
    /// `axes[i]`. d/dx = g permuted back.
    public func permuted(_ axes: [Int]) -> Tensor {
        checkArgument(axes.count == rank && Set(axes) == Set(0..<rank),
                     "permuted: axes \(axes) are not a permutation of the \(rank) axes of shape \(shape)")
        let resultShape = axes.map { shape[$0] }
        var inputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { inputStrides[axis] = inputStrides[axis + 1] * shape[axis + 1] }
        let strides = axes.map { inputStrides[$0] }
        let result = Tensor.uninitialized(resultShape)
        let x = storage.pointer, z = result.storage.pointer
        // Output row-major; `offsets[i]` is the input offset of output element i.
        var offsets = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank), offset = 0
        for position in 0..<count {
            offsets[position] = offset
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < resultShape[axis] { break }
                offset -= strides[axis] * resultShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        for position in 0..<count { z[position] = x[offsets[position]] }
        result.record([self]) { _, g in
            let gradX = self.gradientPointer()
            for position in 0..<offsets.count { gradX[offsets[position]] += g[position] }
        }
        return result
    }
}
