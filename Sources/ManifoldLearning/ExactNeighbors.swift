import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact k nearest neighbours: dot products of a block of query rows against all rows through
/// one `gemm`, then a bounded heap per row. Memory is `blockRows x n` floats per block.
func exactNeighbors(_ points: PreparedPoints, neighborCount k: Int) -> NeighborGraph {
    let n = points.count, d = points.dimension
    // About 32 MB of products per block, at least 16 rows, at most 1024.
    let blockRows = max(16, min(1024, 8_000_000 / max(1, n)))
    var indices = [Int32](repeating: -1, count: n * k)
    var distances = [Float](repeating: .infinity, count: n * k)
    var products = [Float](repeating: 0, count: blockRows * n)
    points.values.withUnsafeBufferPointer { values in
        indices.withUnsafeMutableBufferPointer { indexBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                products.withUnsafeMutableBufferPointer { productBuffer in
                    let out = UncheckedSendable((indexBuffer.baseAddress!, distanceBuffer.baseAddress!))
                    let block = UncheckedSendable(productBuffer.baseAddress!)
                    var start = 0
                    while start < n {
                        let rows = min(blockRows, n - start)
                        // products[r, j] = <x_{start+r}, x_j>: rows x n
                        parallelGEMM(transposeB: true, m: rows, n: n, k: d,
                             a: values.baseAddress! + start * d, lda: d,
                             b: values.baseAddress!, ldb: d,
                             c: block.value, ldc: n)
                        let first = start
                        // Each row writes only its own k slots.
                        parallelFor(rows, minimumChunk: 8) { r in
                            let i = first + r
                            selectNearest(row: block.value + r * n, query: i, points: points, k: k,
                                          indices: out.value.0 + i * k, distances: out.value.1 + i * k)
                        }
                        start += rows
                    }
                }
            }
        }
    }
    return NeighborGraph(pointCount: n, neighborCount: k, indices: indices, distances: distances)
}

/// The point itself first, then its k - 1 nearest others, from one row of dot products.
@inline(__always)
private func selectNearest(
    row: UnsafeMutablePointer<Float>, query i: Int, points: PreparedPoints, k: Int,
    indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>
) {
    indices[0] = Int32(i)
    distances[0] = 0
    if k == 1 { return }
    let heap = NeighborHeap(distances: distances + 1, indices: indices + 1, flags: nil, capacity: k - 1)
    heap.clear()
    let n = points.count
    points.squaredNorms.withUnsafeBufferPointer { norms in
        switch points.metric {
        case .cosine:
            let zeroQuery = norms[i] == 0
            for j in 0..<n where j != i {
                // Cosine distance 1 - <x, y> on unit rows: a monotone map, so test the
                // cheap key first and convert only the winners.
                let distance: Float = (zeroQuery || norms[j] == 0) ? 1 : max(0, 1 - row[j])
                if NeighborHeap.precedes(distance, Int32(j), distances[1], indices[1]) {
                    heap.push(distance, Int32(j), checkDuplicates: false)
                }
            }
        case .euclidean:
            let own = norms[i]
            for j in 0..<n where j != i {
                let squared = max(0, own + norms[j] - 2 * row[j])
                if NeighborHeap.precedes(squared, Int32(j), distances[1], indices[1]) {
                    heap.push(squared, Int32(j), checkDuplicates: false)
                }
            }
            for s in 1..<k { distances[s] = distances[s].squareRoot() }
        }
    }
    heap.sortAscending()
}
