import Basics

/// Squared Euclidean distances from a fixed point set to a few centres, blocked over the
/// points and spread over the cores; through `gemm` (`|x|^2 - 2 x.c + |c|^2`) from
/// `gemmDimension` coordinates on, where the product dominates, and direct loops below.
struct SquaredDistances {
    /// Row-major `count x dimension`.
    let points: [Float]
    let count: Int
    let dimension: Int
    /// `|x|^2` per point, for the gemm form.
    private let norms: [Float]
    private static let gemmDimension = 16
    private static let blockRows = 4096

    init(points: [Float], count: Int, dimension: Int) {
        self.points = points
        self.count = count
        self.dimension = dimension
        var norms = [Float](repeating: 0, count: count)
        if dimension >= Self.gemmDimension {
            for point in 0..<count {
                var sum: Float = 0
                for axis in 0..<dimension { sum += points[point * dimension + axis] * points[point * dimension + axis] }
                norms[point] = sum
            }
        }
        self.norms = norms
    }

    func row(_ point: Int) -> ArraySlice<Float> { points[(point * dimension)..<((point + 1) * dimension)] }

    /// Row-major `count x centreCount` squared distances to `centres` (`centreCount x dimension`).
    func toCentres<C: Collection>(_ centres: C, centreCount: Int) -> [Float] where C.Element == Float {
        let centres = Array(centres)
        var output = [Float](repeating: 0, count: count * centreCount)
        forEachBlock(centres: centres, centreCount: centreCount) { block, values in
            for (offset, point) in block.enumerated() {
                for centre in 0..<centreCount { output[point * centreCount + centre] = values(offset, centre) }
            }
        }
        return output
    }

    /// Assigns each point to its nearest centre (ties to the lower index) and fills
    /// `nearest` with the squared distance to it.
    func assign(centres: [Float], centreCount: Int, labels: inout [Int], nearest: inout [Float]) {
        labels.withUnsafeMutableBufferPointer { labelBuffer in
            nearest.withUnsafeMutableBufferPointer { nearestBuffer in
                // Chunks write the rows of their own points only.
                let out = UncheckedSendable((labelBuffer.baseAddress!, nearestBuffer.baseAddress!))
                forEachBlock(centres: centres, centreCount: centreCount) { block, values in
                    parallelChunks(block.count, minimumChunk: 512) { range in
                        let (labels, nearest) = out.value
                        for offset in range {
                            var best = 0
                            var bestValue = values(offset, 0)
                            for centre in 1..<max(1, centreCount) {
                                let value = values(offset, centre)
                                if value < bestValue { bestValue = value; best = centre }
                            }
                            labels[block.lowerBound + offset] = best
                            nearest[block.lowerBound + offset] = max(bestValue, 0)
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` for each block of at most `blockRows` points with a function giving the
    /// squared distance of the block's `offset`-th point to centre `centre`.
    private func forEachBlock(
        centres: [Float], centreCount: Int, _ body: (Range<Int>, (Int, Int) -> Float) -> Void
    ) {
        let d = dimension
        if d >= Self.gemmDimension {
            var centreNorms = [Float](repeating: 0, count: centreCount)
            for centre in 0..<centreCount {
                for axis in 0..<d { centreNorms[centre] += centres[centre * d + axis] * centres[centre * d + axis] }
            }
            var products = [Float](repeating: 0, count: Self.blockRows * centreCount)
            var start = 0
            while start < count {
                let rows = min(Self.blockRows, count - start)
                points.withUnsafeBufferPointer { pointBuffer in
                    centres.withUnsafeBufferPointer { centreBuffer in
                        products.withUnsafeMutableBufferPointer { productBuffer in
                            // products (rows x centreCount) = block (rows x d) * centres^T (d x centreCount)
                            parallelGEMM(transposeB: true, m: rows, n: centreCount, k: d,
                                 a: pointBuffer.baseAddress! + start * d, lda: d,
                                 b: centreBuffer.baseAddress!, ldb: d,
                                 c: productBuffer.baseAddress!, ldc: centreCount)
                        }
                    }
                }
                let blockStart = start
                products.withUnsafeBufferPointer { productBuffer in
                    body(blockStart..<(blockStart + rows)) { offset, centre in
                        norms[blockStart + offset] - 2 * productBuffer[offset * centreCount + centre] + centreNorms[centre]
                    }
                }
                start += rows
            }
        } else {
            points.withUnsafeBufferPointer { pointBuffer in
                centres.withUnsafeBufferPointer { centreBuffer in
                    var start = 0
                    while start < count {
                        let rows = min(Self.blockRows, count - start)
                        let blockStart = start
                        body(blockStart..<(blockStart + rows)) { offset, centre in
                            let point = pointBuffer.baseAddress! + (blockStart + offset) * d
                            let centreRow = centreBuffer.baseAddress! + centre * d
                            var sum: Float = 0
                            for axis in 0..<d {
                                let step = point[axis] - centreRow[axis]
                                sum += step * step
                            }
                            return sum
                        }
                        start += rows
                    }
                }
            }
        }
    }
}
