import Basics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact k nearest neighbours: dot products of a block of query rows against all rows through
/// one `gemm`, then a bounded heap per row. Memory is `blockRows x n` floats per block.
func exactNeighbors(_ points: PreparedPoints, neighborCount k: Int) -> NeighborGraph {
    let n = points.count
    var indices = [Int32](repeating: -1, count: n * k)
    var distances = [Float](repeating: .infinity, count: n * k)
    indices.withUnsafeMutableBufferPointer { indexBuffer in
        distances.withUnsafeMutableBufferPointer { distanceBuffer in
            let out = UncheckedSendable((indexBuffer.baseAddress!, distanceBuffer.baseAddress!))
            // Each row writes only its own k slots.
            forEachProductRow(of: points, against: points, columns: n) { i, _, row in
                selectNearest(row: row, query: i, points: points, k: k,
                              indices: out.value.0 + i * k, distances: out.value.1 + i * k)
            }
        }
    }
    return NeighborGraph(pointCount: n, neighborCount: k, indices: indices, distances: distances)
}

/// Calls `body(i, start, products)` for every row i of `queries` and every chunk of
/// `columns` reference rows from `start`, with `products[j] = <query i, reference start + j>`:
/// one `gemm` per block of queries and chunk, about 32 MB of products per block (at least 16
/// rows, at most 1,024). Chunks come in order for each query; `body` may overwrite the row.
/// Narrower chunks read the reference fewer times when it is large: each pass over it serves
/// a whole block of queries.
func forEachProductRow(
    of queries: PreparedPoints, against reference: PreparedPoints, columns: Int,
    _ body: @Sendable @escaping (Int, Int, UnsafeMutablePointer<Float>) -> Void
) {
    let m = queries.count, n = reference.count, d = reference.dimension
    let chunk = max(1, min(columns, n))
    let blockRows = max(16, min(1024, 8_000_000 / chunk))
    var products = [Float](repeating: 0, count: blockRows * chunk)
    queries.values.withUnsafeBufferPointer { queryValues in
        reference.values.withUnsafeBufferPointer { referenceValues in
            products.withUnsafeMutableBufferPointer { productBuffer in
                let block = UncheckedSendable(productBuffer.baseAddress!)
                var start = 0
                while start < m {
                    let rows = min(blockRows, m - start)
                    var columnStart = 0
                    while columnStart < n {
                        let width = min(chunk, n - columnStart)
                        // products[r, j] = <q_{start+r}, x_{columnStart+j}>: rows x width
                        parallelGEMM(transposeB: true, m: rows, n: width, k: d,
                                     a: queryValues.baseAddress! + start * d, lda: d,
                                     b: referenceValues.baseAddress! + columnStart * d, ldb: d,
                                     c: block.value, ldc: width)
                        let first = start, offset = columnStart
                        parallelFor(rows, minimumChunk: 8) { r in body(first + r, offset, block.value + r * width) }
                        columnStart += width
                    }
                    start += rows
                }
            }
        }
    }
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
    let metric = points.metric
    points.squaredNorms.withUnsafeBufferPointer { norms in
        for j in 0..<n where j != i {
            let key = metric.key(product: row[j], norms[i], norms[j])
            if NeighborHeap.precedes(key, Int32(j), distances[1], indices[1]) {
                heap.push(key, Int32(j), checkDuplicates: false)
            }
        }
    }
    for s in 1..<k { distances[s] = metric.distance(fromKey: distances[s]) }
    heap.sortAscending()
}

/// The `k` nearest rows of `reference` to every row of `queries` (no row is skipped: a query
/// equal to a reference row finds it at distance 0), nearest first, exactly. Both sides are
/// prepared with the same metric.
func exactNeighbors(of queries: PreparedPoints, among reference: PreparedPoints, neighborCount k: Int) -> NeighborGraph {
    checkArgument(queries.dimension == reference.dimension && queries.metric == reference.metric,
                  "exactNeighbors: queries and reference differ in dimension or metric")
    let m = queries.count
    var indices = [Int32](repeating: -1, count: m * k)
    var distances = [Float](repeating: .infinity, count: m * k)
    indices.withUnsafeMutableBufferPointer { indexBuffer in
        distances.withUnsafeMutableBufferPointer { distanceBuffer in
            let out = UncheckedSendable((indexBuffer.baseAddress!, distanceBuffer.baseAddress!))
            // Each query writes only its own k slots; its heap lives across the chunks.
            let chunk = 8192
            forEachProductRow(of: queries, against: reference, columns: chunk) { i, start, row in
                let rowDistances = out.value.1 + i * k, rowIndices = out.value.0 + i * k
                let heap = NeighborHeap(distances: rowDistances, indices: rowIndices, flags: nil, capacity: k)
                if start == 0 { heap.clear() }
                let ownNorm = queries.squaredNorms[i], metric = queries.metric
                let width = min(chunk, reference.count - start)
                reference.squaredNorms.withUnsafeBufferPointer { norms in
                    for column in 0..<width {
                        let j = start + column
                        let key = metric.key(product: row[column], ownNorm, norms[j])
                        if NeighborHeap.precedes(key, Int32(j), rowDistances[0], rowIndices[0]) {
                            heap.push(key, Int32(j), checkDuplicates: false)
                        }
                    }
                }
                guard start + width == reference.count else { return }
                heap.sortAscending()
                for s in 0..<k { rowDistances[s] = metric.distance(fromKey: rowDistances[s]) }
            }
        }
    }
    return NeighborGraph(pointCount: m, neighborCount: k, indices: indices, distances: distances)
}
