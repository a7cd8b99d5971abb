// Sums and means over axes, global average pooling, log-sum-exp.
import Basics

extension Tensor {
    /// The sum over `axes` (all axes when nil). Reduced axes are kept with extent 1 when
    /// `keepingDimensions`, dropped otherwise. d/dx = the output gradient broadcast back.
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let reduced = Set((axes ?? Array(0..<rank)).map { axis in
            let resolved = axis < 0 ? axis + rank : axis
            checkArgument(resolved >= 0 && resolved < rank, "sum: axis \(axis) out of range for shape \(shape)")
            return resolved
        })
        let keptShape = shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let resultShape = keepingDimensions ? keptShape
            : shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        let result = Tensor(shape: resultShape, repeating: 0)
        let x = storage.pointer, z = result.storage.pointer
        let strides = broadcastStrides(keptShape, to: shape)
        let unit = [Int](repeating: 0, count: rank)
        // Accumulate in Float; the reductions we take are over at most a few million terms.
        forEachBroadcastRow(shape, strides, unit) { input, out, _, length, inner, _ in
            if inner == 0 {
                var total: Float = 0
                for i in 0..<length { total += x[input + i] }
                z[out] += total
            } else {
                for i in 0..<length { z[out + i * inner] += x[input + i] }
            }
        }
        let inputShape = shape
        result.record([self]) { _, g in
            let gradX = self.gradientPointer()
            forEachBroadcastRow(inputShape, strides, unit) { input, out, _, length, inner, _ in
                for i in 0..<length { gradX[input + i] += g[out + i * inner] }
            }
        }
        return result
    }

    /// The sum over one axis.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (all axes when nil): `sum / (number of elements reduced)`.
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let resolved = (axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 }
        let reducedCount = Set(resolved).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(max(1, reducedCount)))
    }

    /// The mean over one axis.
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Global average pooling: [N, C, H, W] -> [N, C], the mean over H and W.
    /// d/dx = g / (H W) at every position.
    public func globalAveragePooled() -> Tensor {
        checkArgument(rank == 4, "globalAveragePooled: expected [N, C, H, W], got shape \(shape)")
        let planes = shape[0] * shape[1], area = shape[2] * shape[3]
        let result = Tensor.uninitialized([shape[0], shape[1]])
        let x = storage.pointer
        let z = UncheckedSendable(result.storage.pointer)
        let scale = 1 / Float(area)
        parallelChunks(planes, minimumChunk: 64) { range in
            for plane in range {
                var total: Float = 0
                for i in 0..<area { total += x[plane * area + i] }
                z.value[plane] = total * scale
            }
        }
        result.record([self]) { _, g in
            let gradX = self.gradientDestination()
            parallelChunks(planes, minimumChunk: 64) { range in
                for plane in range {
                    let value = g[plane] * scale
                    for i in 0..<area { gradX.write(plane * area + i, value) }
                }
            }
        }
        return result
    }

    /// `log(sum_j exp(x_ij))` over the last axis of a 2-D tensor [N, M] -> [N], computed
    /// stably (max subtracted). d/dx_ij = g_i softmax(x_i)_j.
    public func logSumExp() -> Tensor {
        checkArgument(rank == 2, "logSumExp: expected [N, M], got shape \(shape)")
        let rows = shape[0], columns = shape[1]
        let result = Tensor.uninitialized([rows])
        let x = storage.pointer, z = result.storage.pointer
        for row in 0..<rows {
            let base = x + row * columns
            var largest = -Float.infinity
            for j in 0..<columns { largest = max(largest, base[j]) }
            var total: Float = 0
            for j in 0..<columns { total += scalarExp(base[j] - largest) }
            z[row] = largest + scalarLog(total)
        }
        result.record([self]) { output, g in
            let gradX = self.gradientPointer()
            let y = output.storage.pointer
            for row in 0..<rows {
                for j in 0..<columns {
                    let index = row * columns + j
                    gradX[index] += g[row] * scalarExp(x[index] - y[row])
                }
            }
        }
        return result
    }

    /// `softmax(x_i)_j = exp(x_ij - LSE_j x_ij)` row by row for a 2-D tensor [N, M]: rows of
    /// probabilities, differentiable through `logSumExp`.
    public func softmaxRows() -> Tensor {
        checkArgument(rank == 2, "softmaxRows: expected [N, M], got shape \(shape)")
        return (self - logSumExp().reshaped([shape[0], 1])).exp()
    }
}
