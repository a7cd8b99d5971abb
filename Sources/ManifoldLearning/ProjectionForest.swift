import Basics

/// Random-projection trees over a large reference set, for approximate nearest neighbours of
/// new points (the candidate search of pynndescent's index, without its graph refinement):
///
///     each tree splits a node's points by the hyperplane halfway between two of them drawn at
///       random (normal a - b, through (a + b) / 2), down to leaves of at most `leafSize`
///     a query descends every tree to one leaf; the union of those leaves is its candidate
///       set, and the k nearest candidates (exact distances) are its neighbours
///
/// With 4 trees of 128-point leaves a query measures at most 512 distances instead of n.
/// Points are prepared as for the exact search (unit rows for the cosine metric), so the
/// hyperplanes of a cosine forest split by angle.
struct ProjectionForest: Sendable {
    struct Node: Sendable {
        var start: Int32, end: Int32
        /// Index into `normals` (d floats), -1 for a leaf.
        var normal: Int32
        var offset: Float
        var left: Int32, right: Int32
    }

    let reference: PreparedPoints
    let trees: [(order: [Int32], nodes: [Node], normals: [Float])]
    static let leafSize = 128

    init(_ reference: PreparedPoints, treeCount: Int = 4, seed: UInt64) {
        self.reference = reference
        var built = [(order: [Int32], nodes: [Node], normals: [Float])?](repeating: nil, count: treeCount)
        built.withUnsafeMutableBufferPointer { buffer in
            let output = UncheckedSendable(buffer.baseAddress!)
            // Each tree has its own random stream and slot, so they grow on any core alike.
            parallelFor(treeCount, minimumChunk: 1) { tree in
                var generator = SeededGenerator(seed: seed, stream: [0xF0E5, UInt64(tree)])
                var order = (0..<Int32(reference.count)).map { $0 }
                var nodes: [Node] = [], normals: [Float] = []
                Self.split(0, reference.count, &order, &nodes, &normals, &generator, reference)
                output.value[tree] = (order, nodes, normals)
            }
        }
        self.trees = built.map { $0! }
    }

    @discardableResult
    private static func split(
        _ start: Int, _ end: Int, _ order: inout [Int32], _ nodes: inout [Node], _ normals: inout [Float],
        _ generator: inout SeededGenerator, _ points: PreparedPoints
    ) -> Int32 {
        let index = Int32(nodes.count)
        nodes.append(Node(start: Int32(start), end: Int32(end), normal: -1, offset: 0, left: -1, right: -1))
        guard end - start > leafSize else { return index }
        let d = points.dimension
        let first = generator.nextInt(below: end - start)
        var second = generator.nextInt(below: end - start)
        if second == first { second = (first + 1) % (end - start) }
        let a = Int(order[start + first]), b = Int(order[start + second])
        var normal = [Float](repeating: 0, count: d)
        var offset: Float = 0
        for c in 0..<d {
            normal[c] = points.values[a * d + c] - points.values[b * d + c]
            offset -= normal[c] * (points.values[a * d + c] + points.values[b * d + c]) / 2
        }
        // Partition: positive margins to the right.
        var low = start, high = end - 1
        while low <= high {
            if margin(points, Int(order[low]), normal, offset) > 0 {
                order.swapAt(low, high)
                high -= 1
            } else {
                low += 1
            }
        }
        var middle = low
        // A degenerate hyperplane (duplicates): halve the node as it is.
        if middle == start || middle == end { middle = (start + end) / 2 }
        let normalIndex = Int32(normals.count / d)
        normals += normal
        let left = split(start, middle, &order, &nodes, &normals, &generator, points)
        let right = split(middle, end, &order, &nodes, &normals, &generator, points)
        nodes[Int(index)].normal = normalIndex
        nodes[Int(index)].offset = offset
        nodes[Int(index)].left = left
        nodes[Int(index)].right = right
        return index
    }

    private static func margin(_ points: PreparedPoints, _ row: Int, _ normal: [Float], _ offset: Float) -> Float {
        points.values.withUnsafeBufferPointer { values in
            normal.withUnsafeBufferPointer { normal in
                offset + dotProduct(normal.baseAddress!, values.baseAddress! + row * points.dimension, count: points.dimension)
            }
        }
    }

    /// The `k` nearest candidates of every row of `queries` (prepared alike), nearest first.
    func neighbors(of queries: PreparedPoints, neighborCount k: Int) -> NeighborGraph {
        let m = queries.count, d = reference.dimension
        var indices = [Int32](repeating: -1, count: m * k)
        var distances = [Float](repeating: .infinity, count: m * k)
        indices.withUnsafeMutableBufferPointer { indexBuffer in
            distances.withUnsafeMutableBufferPointer { distanceBuffer in
                let out = UncheckedSendable((indexBuffer.baseAddress!, distanceBuffer.baseAddress!))
                // Each query writes only its own k slots.
                parallelChunks(m, minimumChunk: 64) { range in
                    var seen = [Int32](repeating: -1, count: reference.count)
                    for i in range {
                        let heap = NeighborHeap(distances: out.value.1 + i * k, indices: out.value.0 + i * k,
                                                flags: nil, capacity: k)
                        heap.clear()
                        for tree in trees {
                            var node = tree.nodes[0]
                            while node.normal >= 0 {
                                let sum = node.offset + tree.normals.withUnsafeBufferPointer { normals in
                                    queries.values.withUnsafeBufferPointer { values in
                                        dotProduct(normals.baseAddress! + Int(node.normal) * d, values.baseAddress! + i * d, count: d)
                                    }
                                }
                                node = tree.nodes[Int(sum > 0 ? node.right : node.left)]
                            }
                            for slot in Int(node.start)..<Int(node.end) {
                                let j = Int(tree.order[slot])
                                if seen[j] == Int32(i) { continue }
                                seen[j] = Int32(i)
                                let distance = queryDistance(queries, i, j)
                                if NeighborHeap.precedes(distance, Int32(j), out.value.1[i * k], out.value.0[i * k]) {
                                    heap.push(distance, Int32(j), checkDuplicates: false)
                                }
                            }
                        }
                        heap.sortAscending()
                    }
                }
            }
        }
        return NeighborGraph(pointCount: m, neighborCount: k, indices: indices, distances: distances)
    }

    /// The metric's distance between query row `i` and reference row `j`.
    private func queryDistance(_ queries: PreparedPoints, _ i: Int, _ j: Int) -> Float {
        let d = reference.dimension
        let product = queries.values.withUnsafeBufferPointer { a in
            reference.values.withUnsafeBufferPointer { b in dotProduct(a.baseAddress! + i * d, b.baseAddress! + j * d, count: d) }
        }
        let metric = reference.metric
        return metric.distance(fromKey: metric.key(product: product, queries.squaredNorms[i], reference.squaredNorms[j]))
    }
}

/// The `k` nearest rows of `reference` to each row of `queries` (both row-major, `dimension`
/// columns), nearest first: exact with `approximate == false`, else from the random-projection
/// trees of `ProjectionForest` (seeded).
public func neighbors(
    of queries: [Float], among reference: [Float], dimension: Int, metric: DistanceMetric, neighborCount k: Int,
    approximate: Bool, seed: UInt64 = 0
) -> NeighborGraph {
    checkArgument(dimension > 0 && queries.count % dimension == 0 && reference.count % dimension == 0
                  && k >= 1 && k <= reference.count / dimension, "neighbors: \(k) of \(reference.count / max(1, dimension)) rows")
    let prepared = PreparedPoints(reference, dimension: dimension, metric: metric)
    let asked = PreparedPoints(queries, dimension: dimension, metric: metric)
    return approximate
        ? ProjectionForest(prepared, seed: seed).neighbors(of: asked, neighborCount: k)
        : exactNeighbors(of: asked, among: prepared, neighborCount: k)
}
